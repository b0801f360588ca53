import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_seal_pending
from tests.audit.conftest import record_many

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_intact_chain_prints_a_summary(db):
    record_many(4)
    audit_seal_pending()
    out, _ = _run()
    assert "4 entries verified, chain intact" in out
    assert "head seq 4" in out


def test_a_broken_chain_raises_naming_the_first_bad_entry(tamper):
    entries = record_many(4)
    audit_seal_pending()
    tamper.execute("UPDATE {table} SET message = %s WHERE id = %s", ["x", entries[1].pk])
    with pytest.raises(CommandError, match=rf"edited at seq 2, id {entries[1].pk}"):
        _run()


def test_progress_goes_to_stderr(db):
    record_many(5)
    audit_seal_pending()
    out, err = _run("--progress-every", "2", "--chunk-size", "2")
    assert "... 2 entries verified" in err
    assert "... 4 entries verified" in err
    assert "..." not in out


def test_a_recorded_anchor_catches_a_cut_tail(tamper):
    entries = record_many(3)
    audit_seal_pending()
    head = AuditEntry.objects.get(pk=entries[2].pk)
    tamper.execute("DELETE FROM {table} WHERE id = %s", [head.pk])
    with pytest.raises(CommandError, match="truncated"):
        _run("--anchor", f"3:{head.hash}")


def test_a_malformed_anchor_is_refused(db):
    with pytest.raises(CommandError, match="SEQ:HASH"):
        _run("--anchor", "3:nothex")


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _manage_verify() -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _database_url()}
    return subprocess.run(
        [sys.executable, str(MANAGE), "verify_audit"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_zero_when_intact():
    record_many(3)
    audit_seal_pending()
    result = _manage_verify()
    assert result.returncode == 0, result.stderr
    assert "3 entries verified, chain intact" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_on_a_deleted_entry(tamper):
    entries = record_many(3)
    audit_seal_pending()
    tamper.execute("DELETE FROM {table} WHERE id = %s", [entries[1].pk])
    result = _manage_verify()
    assert result.returncode != 0
    assert f"deleted at seq 3, id {entries[2].pk}" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_on_an_emptied_log(tamper):
    record_many(3)
    audit_seal_pending()
    tamper.empty_the_log()
    result = _manage_verify()
    assert result.returncode != 0
    assert "the table holds no sealed entries but the recorded head is seq 3" in result.stderr
