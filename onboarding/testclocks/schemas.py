from datetime import datetime

from ninja import Field, Schema


class TestClockIn(Schema):
    __test__ = False

    name: str = Field(max_length=100)
    frozen_time: datetime | None = Field(
        default=None, description="Where the clock starts (with a time zone); now if left out."
    )


class TestClockOut(Schema):
    __test__ = False

    id: int
    name: str
    frozen_time: datetime = Field(description="The clock's simulated moment.")
    status: str = Field(description="ready, advancing or failed.")
    target_time: datetime | None = Field(description="Where the last advance was going.")
    failure: str
    customer_count: int = 0
    created_at: datetime


class TestCustomerIn(Schema):
    __test__ = False

    email: str = Field(max_length=254)
    first_name: str = Field(default="Test", max_length=150)
    last_name: str = Field(default="Customer", max_length=150)
    company: str = Field(default="Test customer", max_length=200)
    country: str = Field(default="GB", max_length=2)
    card_number: str = Field(
        default="4242424242424242", max_length=19, description="A sandbox card (docs/payments.md)."
    )
    plan_slug: str = Field(default="", max_length=120, description="Buy this plan at once.")
    cycle: str = Field(default="annual", max_length=16)
    currency: str | None = Field(default=None, max_length=3)


class TestCustomerOut(Schema):
    __test__ = False

    id: int
    email: str
    test_clock_id: int


class AdvanceIn(Schema):
    amount: int | None = Field(default=None, description="How many units to advance by.")
    unit: str | None = Field(default=None, description="hours, days or months.")
    to: datetime | None = Field(default=None, description="Or: the moment to advance to.")


class ClockEventOut(Schema):
    id: int
    action: str
    outcome: str
    customer_id: int | None
    customer_reference: str = Field(
        description="The customer's CUS- number, if one of the clock's."
    )
    object_type: str
    object_id: str
    message: str
    real_time: datetime = Field(description="When it was recorded.")
    simulated_at: datetime | None = Field(description="The clock's moment it happened at.")
