import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from onboarding.payments.models import SandboxFault

pytestmark = pytest.mark.django_db


def test_the_sandbox_fault_command_arms_a_fault(capsys):
    call_command("sandbox_fault", "charge", "timeout", "--times", "2")
    fault = SandboxFault.objects.get()
    assert (fault.operation, fault.kind, fault.remaining) == ("charge", "timeout", 2)
    assert "Armed" in capsys.readouterr().out


def test_the_sandbox_fault_command_refuses_an_unknown_kind():
    with pytest.raises(CommandError):
        call_command("sandbox_fault", "lookup", "card_declined")
    assert not SandboxFault.objects.exists()
