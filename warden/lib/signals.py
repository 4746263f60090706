"""Every extension point of Warden, declared in one place.

Plug-ins (and Warden's own later domains) attach here instead of being called by name from
the code that changes state. Each signal is sent inside the transaction of the change it
describes, so a receiver's writes commit or roll back with it; work that leaves the
transaction (signing, screening, mail) must be a task the receiver enqueues, never done in
the receiver itself. A receiver that raises aborts the change: that is how a hook says no.

Connect receivers in an `AppConfig.ready()`, with a `dispatch_uid`.

`project_changed(sender, *, project_id, normalized_name, change, origin)`
    Sent once for every change to a project: a file or release published, yanked, deleted,
    a role granted, the project created, quarantined or deleted. `change` is a
    `warden.packaging.changes.ProjectChange`: what happened (its audit `tag`), the version,
    the ids of the files it added or removed, and whether the list of projects changed.
    This is the hook the TUF signer uses to record a pending change per touched page and
    file, in the same transaction as the change.

`user_disabled(sender, *, user_id, origin)`
    Sent when staff disable an account. Tokens revokes the account's API tokens here.

Malware checks are not signals: a check is a class found through the `warden.checks`
entry point group (`CHECKS_ENTRY_POINT_GROUP`), so a third party ships one as an ordinary
package; the screening domain queues one screening (a task running every applicable
check) for every file that `project_changed` reports as uploaded.
"""

from __future__ import annotations

from django.dispatch import Signal

project_changed = Signal()
user_disabled = Signal()

CHECKS_ENTRY_POINT_GROUP = "warden.checks"
