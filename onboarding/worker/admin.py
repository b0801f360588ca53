from django.contrib import admin

from onboarding.worker.models import PeriodicSlot, TaskKey, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "last_seen_at")


@admin.register(PeriodicSlot)
class PeriodicSlotAdmin(admin.ModelAdmin):
    list_display = ("task_path", "slot_start", "enqueued_by", "task_result_id")
    list_filter = ("task_path",)


@admin.register(TaskKey)
class TaskKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "task_result_id", "created_at", "updated_at")
    search_fields = ("key",)
