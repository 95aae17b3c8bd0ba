"""Start-up check: follow-up rules a deployment set in settings must be valid (docs/follow-up-rules.md).

Registered by importing this module (ReferralsConfig.ready); a bad REFERRAL_FOLLOW_UP_RULES or
REFERRAL_DEFAULT_DUE_DAYS then stops `manage.py check`, `migrate` and the servers, instead of every sync.
"""

from django.core import checks

from .follow_up_rules import RulesInvalid
from .store import configured_rules


@checks.register(checks.Tags.compatibility)
def follow_up_rules_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        configured_rules()
    except RulesInvalid as error:
        return [checks.Error(str(error), id="referrals.E001")]
    return []
