"""`manage.py check` refuses access rules whose owner path could leak or duplicate rows."""

from django.core.checks import Error

from onboarding.core.access import owner_path_problem, registered_rules


def check_access_rules(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for model, rule in registered_rules().items():
        if rule.owner_path is None:
            continue
        problem = owner_path_problem(model, rule.owner_path)
        if problem:
            errors.append(
                Error(
                    f"access_rule on {model._meta.label}: {problem}",
                    hint="owner= must follow forward foreign keys to the user who owns the row.",
                    obj=model,
                    id="accounts.E001",
                )
            )
    return errors
