"""/api/v1/me/: the signed-in customer's profile and contacts."""

from django.http import HttpRequest
from ninja import Router

from onboarding.accounts.language import session_language_remember
from onboarding.accounts.models import Contact
from onboarding.accounts.schemas import ContactIn, ContactOut, ProfileIn, ProfileOut
from onboarding.accounts.selectors import contacts_of, customer_of_user
from onboarding.accounts.services import (
    contact_add,
    contact_remove,
    contact_update,
    customer_profile_update,
)
from onboarding.core.access import get_visible_or_404

router = Router()
_ERRORS = {404: dict, 422: dict, 503: dict}


def _own_contact(request: HttpRequest, contact_id: int) -> Contact:
    customer = customer_of_user(user=request.user)
    return get_visible_or_404(
        request.user, Contact.objects.filter(customer=customer), pk=contact_id
    )


@router.get("/profile", response={200: ProfileOut, 404: dict}, summary="Your profile")
def get_profile(request: HttpRequest):
    return ProfileOut.of(customer_of_user(user=request.user))


@router.put("/profile", response={200: ProfileOut, **_ERRORS}, summary="Update your profile")
def put_profile(request: HttpRequest, payload: ProfileIn):
    customer = customer_of_user(user=request.user)
    data = payload.dict()
    inbox = data.pop("preferred_inbox")
    for optional in ("time_zone", "language"):
        if data[optional] is None:
            del data[optional]  # left out: unchanged
    customer = customer_profile_update(
        customer=customer, actor=request.user, profile=data, preferred_inbox=inbox
    )
    session_language_remember(request, customer.language)
    return ProfileOut.of(customer)


@router.get("/contacts", response={200: list[ContactOut], 404: dict}, summary="Your contacts")
def list_contacts(request: HttpRequest):
    customer = customer_of_user(user=request.user)
    return [ContactOut.of(c) for c in contacts_of(customer=customer)]


@router.post("/contacts", response={201: ContactOut, **_ERRORS}, summary="Add a contact")
def add_contact(request: HttpRequest, payload: ContactIn):
    customer = customer_of_user(user=request.user)
    contact = contact_add(customer=customer, actor=request.user, details=payload.dict())
    return 201, ContactOut.of(contact)


@router.put(
    "/contacts/{contact_id}", response={200: ContactOut, **_ERRORS}, summary="Edit a contact"
)
def put_contact(request: HttpRequest, contact_id: int, payload: ContactIn):
    contact = _own_contact(request, contact_id)
    contact = contact_update(contact=contact, actor=request.user, details=payload.dict())
    return ContactOut.of(contact)


@router.delete(
    "/contacts/{contact_id}", response={204: None, **_ERRORS}, summary="Remove a contact"
)
def delete_contact(request: HttpRequest, contact_id: int):
    contact = _own_contact(request, contact_id)
    contact_remove(contact=contact, actor=request.user)
    return 204, None
