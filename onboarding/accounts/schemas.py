from typing import Literal

from ninja import Schema
from pydantic import Field

from onboarding.accounts.models import Contact, Customer


class ProfileIn(Schema):
    company: str = Field("", max_length=200)
    vat_number: str = Field(
        "", max_length=20, description="With the country prefix, e.g. DE123456789; empty if none"
    )
    phone: str = Field("", max_length=40)
    address_line1: str = Field(..., min_length=1, max_length=200)
    address_line2: str = Field("", max_length=200)
    city: str = Field(..., min_length=1, max_length=100)
    postal_code: str = Field(..., min_length=1, max_length=20)
    region: str = Field("", max_length=100)
    # Two ASCII letters before the model sees it: django-countries reads a "digit" code such as
    # "0²" as a number and fails on it instead of refusing it.
    country: str = Field(
        ..., min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2"
    )
    preferred_inbox: Literal["email", "in_app"] = "email"
    time_zone: str | None = Field(
        None,
        max_length=64,
        description="IANA time zone your service hours are counted in; empty: your country's "
        "main zone; left out: unchanged",
    )
    language: str | None = Field(
        None,
        max_length=8,
        description="What pages, emails and notices are written in: en, de or fr; left out: "
        "unchanged",
    )


class ProfileOut(Schema):
    reference: str
    email: str
    company: str
    vat_number: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    postal_code: str
    region: str
    country: str
    preferred_inbox: str
    missing_for_purchase: list[str]
    currency: str = Field(..., description="Fixed at the first purchase; empty before it")
    time_zone: str = Field(..., description="The zone you chose; empty: your country's main one")
    effective_time_zone: str | None = Field(
        ..., description="The zone your service hours are counted in (null: none known)"
    )
    language: str = Field(..., description="What pages, emails and notices are written in")

    @staticmethod
    def of(customer: Customer) -> "ProfileOut":
        return ProfileOut(
            reference=customer.reference,
            email=customer.user.email,
            company=customer.company,
            vat_number=customer.vat_number,
            phone=str(customer.phone or ""),
            address_line1=customer.address_line1,
            address_line2=customer.address_line2,
            city=customer.city,
            postal_code=customer.postal_code,
            region=customer.region,
            country=str(customer.country or ""),
            preferred_inbox=customer.user.preferred_inbox,
            missing_for_purchase=customer.missing_for_purchase,
            currency=customer.currency,
            time_zone=customer.time_zone,
            effective_time_zone=customer.effective_time_zone,
            language=customer.language,
        )


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    role: str = Field(..., min_length=1, max_length=100)
    email: str = Field(..., min_length=3, max_length=254)
    phone: str = Field("", max_length=40)


class ContactOut(Schema):
    id: int
    name: str
    role: str
    email: str
    phone: str

    @staticmethod
    def of(contact: Contact) -> "ContactOut":
        return ContactOut(
            id=contact.pk,
            name=contact.name,
            role=contact.role,
            email=contact.email,
            phone=str(contact.phone or ""),
        )
