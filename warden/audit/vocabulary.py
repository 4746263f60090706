"""The closed vocabulary of audit events: `<subject>:<object>:<action>`.

Adding an event is one line here (and its sentence in `sentences.py`). Recording a tag that
is not in this enum is a programming error: `record_event` only takes `Tag` members.
"""

from __future__ import annotations

from enum import StrEnum


class Tag(StrEnum):
    ACCOUNT_CREATED = "account:account:created"
    ACCOUNT_LOGIN_SUCCESS = "account:login:success"
    ACCOUNT_LOGIN_FAILURE = "account:login:failure"
    ACCOUNT_LOGIN_NEW_NETWORK = "account:login:new_network"
    SITE_SIGNUP_LIMITED = "site:signup:limited"
    ACCOUNT_LOGOUT = "account:logout:success"
    ACCOUNT_REAUTH_SUCCESS = "account:reauthentication:success"
    ACCOUNT_PASSWORD_CHANGED = "account:password:changed"
    ACCOUNT_PASSWORD_RESET_REQUESTED = "account:password:reset_requested"
    ACCOUNT_PASSWORD_RESET = "account:password:reset"
    ACCOUNT_EMAIL_ADDED = "account:email:added"
    ACCOUNT_EMAIL_REMOVED = "account:email:removed"
    ACCOUNT_EMAIL_VERIFIED = "account:email:verified"
    ACCOUNT_EMAIL_PRIMARY_CHANGED = "account:email:primary_changed"
    ACCOUNT_TWO_FACTOR_ADDED = "account:two_factor:added"
    ACCOUNT_TWO_FACTOR_REMOVED = "account:two_factor:removed"
    ACCOUNT_TWO_FACTOR_FAILURE = "account:two_factor:failure"
    ACCOUNT_RECOVERY_CODES_REGENERATED = "account:recovery_codes:regenerated"
    ACCOUNT_RECOVERY_CODE_USED = "account:recovery_codes:used"
    ACCOUNT_TOKEN_CREATED = "account:token:created"
    ACCOUNT_TOKEN_USED = "account:token:used"
    ACCOUNT_TOKEN_REVOKED = "account:token:revoked"
    ACCOUNT_TOKEN_LEAKED = "account:token:leaked"
    ACCOUNT_PROJECT_LIMIT_REACHED = "account:project_limit:reached"
    ACCOUNT_UPLOAD_LIMIT_REACHED = "account:upload_limit:reached"
    PROJECT_CREATED = "project:project:created"
    PROJECT_DELETED = "project:project:deleted"
    PROJECT_ROLE_INVITED = "project:role:invited"
    PROJECT_ROLE_INVITATION_DECLINED = "project:role:declined"
    PROJECT_ROLE_INVITATION_REVOKED = "project:role:invitation_revoked"
    PROJECT_ROLE_ADDED = "project:role:added"
    PROJECT_ROLE_CHANGED = "project:role:changed"
    PROJECT_ROLE_REMOVED = "project:role:removed"
    PROJECT_RELEASE_CREATED = "project:release:created"
    PROJECT_RELEASE_YANKED = "project:release:yanked"
    PROJECT_RELEASE_UNYANKED = "project:release:unyanked"
    PROJECT_RELEASE_REMOVED = "project:release:removed"
    PROJECT_FILE_UPLOADED = "project:file:uploaded"
    PROJECT_FILE_REMOVED = "project:file:removed"
    PROJECT_FILE_SCREENED = "project:file:screened"
    PROJECT_QUARANTINED = "project:project:quarantined"
    PROJECT_UNQUARANTINED = "project:project:unquarantined"
    PROJECT_RELEASE_QUARANTINED = "project:release:quarantined"
    PROJECT_RELEASE_UNQUARANTINED = "project:release:unquarantined"
    PROJECT_STATUS_CHANGED = "project:project:status_changed"
    STAFF_USER_DISABLED = "staff:user:disabled"
    STAFF_USER_PASSWORD_RESET_FORCED = "staff:user:password_reset_forced"
    STAFF_TWO_FACTOR_RESET = "staff:two_factor:reset"
    STAFF_PROJECT_REMOVED = "staff:project:removed"
    STAFF_NAME_PROHIBITED = "staff:name:prohibited"
    STAFF_TOKEN_REVOKED = "staff:token:revoked"
    STAFF_CHECK_STATE_CHANGED = "staff:check:state_changed"
    STAFF_CHECK_BACKFILL_STARTED = "staff:check:backfill_started"
    STAFF_CHECK_RESULT_REVIEWED = "staff:check_result:reviewed"

    @property
    def subject(self) -> str:
        return self.value.split(":", 1)[0]
