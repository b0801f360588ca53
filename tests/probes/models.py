from django.db import models


class TaskProbe(models.Model):
    """A step of a probe task (tests.probes.tasks): "started", "completed", "attempt".

    The worker tests watch these rows to know where a task in a child worker process is.
    """

    key = models.CharField(max_length=100, db_index=True)
    event = models.CharField(max_length=32)
    attempt = models.PositiveIntegerField(default=0)
    worker_id = models.CharField(max_length=64, blank=True)
    pid = models.IntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # Completing is the business effect: once per key, however many attempts ran.
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(event="completed"), name="probe_completed_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.event} (attempt {self.attempt})"
