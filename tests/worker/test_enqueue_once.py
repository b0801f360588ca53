"""Enqueueing keyed by a business id: no second task while the first is unfinished."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.worker.models import TaskKey
from onboarding.worker.services import enqueue_on_commit, task_enqueue_once
from tests.probes.tasks import worker_probe


def test_a_second_enqueue_with_the_same_key_enqueues_nothing(db):
    first = task_enqueue_once(worker_probe, key="invoice:1:issue", kwargs={"key": "a"})
    second = task_enqueue_once(worker_probe, key="invoice:1:issue", kwargs={"key": "a"})

    assert first is not None
    assert second is None
    assert DBTaskResult.objects.count() == 1
    assert TaskKey.objects.get().task_result_id == first.db_result.pk


def test_a_running_task_also_blocks_its_key(db):
    first = task_enqueue_once(worker_probe, key="k", args=["a"])
    first.db_result.claim("some-worker")

    assert task_enqueue_once(worker_probe, key="k", args=["a"]) is None


@pytest.mark.parametrize("finished", [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED])
def test_once_the_task_has_finished_the_key_enqueues_again(db, finished):
    first = task_enqueue_once(worker_probe, key="k", args=["a"])
    DBTaskResult.objects.filter(pk=first.id).update(status=finished)

    second = task_enqueue_once(worker_probe, key="k", args=["a"])

    assert second is not None
    assert second.id != first.id
    assert TaskKey.objects.get(key="k").task_result_id == second.db_result.pk


def test_different_keys_enqueue_separately(db):
    task_enqueue_once(worker_probe, key="invoice:1", args=["a"])
    task_enqueue_once(worker_probe, key="invoice:2", args=["b"])

    assert DBTaskResult.objects.count() == 2


def test_arguments_and_run_after_are_passed_on(db):
    later = timezone.now() + timedelta(hours=1)

    result = task_enqueue_once(
        worker_probe, key="k", args=["a"], kwargs={"go_file": "/x"}, run_after=later
    )

    row = result.db_result
    assert row.args_kwargs == {"args": ["a"], "kwargs": {"go_file": "/x"}}
    assert row.run_after == later


def test_enqueue_on_commit_waits_for_the_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_on_commit(worker_probe, key="k", args=["a"])
        assert not DBTaskResult.objects.exists()

    assert len(callbacks) == 1
    assert TaskKey.objects.filter(key="k").exists()
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_enqueues_nothing_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(worker_probe, key="k", args=["a"])
        raise RuntimeError("the business change failed")

    assert not DBTaskResult.objects.exists()
    assert not TaskKey.objects.exists()


def test_a_key_is_required(db):
    with pytest.raises(ValueError):
        task_enqueue_once(worker_probe, key="", args=["a"])
