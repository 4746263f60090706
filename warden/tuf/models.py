"""What the signer has published, kept in the database so that one transaction switches
clients from one consistent state to the next.

The metadata files themselves are immutable objects in storage (`tuf/<N>.<role>.json`);
these rows say which versions are current. `State.timestamp` holds the one mutable file,
timestamp.json: writing it is the signer's commit point.
"""

from __future__ import annotations

from django.db import models


class Target(models.Model):
    """A path the current metadata names: a file, a PEP 658 metadata file or a page
    (`page_key` is the page it belongs to: a normalized project name, '' for the root)."""

    path = models.CharField(max_length=700, primary_key=True)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    bin = models.IntegerField(db_index=True)
    page_key = models.CharField(max_length=100, db_index=True)


class Role(models.Model):
    """The current version of each role: root, targets, bins, snapshot, timestamp and
    every hashed bin (`bin-0000`...)."""

    name = models.CharField(max_length=32, primary_key=True)
    version = models.IntegerField()
    expires = models.DateTimeField()


class Staged(models.Model):
    """An offline role's new version, imported and verified, that clients do not see yet:
    the signer's next commit makes it current together with the online roles signed under
    it (every bin again, when the online key changed), so no client ever meets a root
    that trusts a key the timestamp was not signed with."""

    name = models.CharField(max_length=32, primary_key=True)
    version = models.IntegerField()
    expires = models.DateTimeField()


class State(models.Model):
    """One row: the signed timestamp.json clients start from, and when it was written."""

    timestamp = models.BinaryField()
    published = models.DateTimeField()
    # The root, targets and bins versions every bin was last signed under ("1.1.1").
    offline = models.CharField(max_length=64)


class Obsolete(models.Model):
    """A metadata file no current snapshot names. Kept for a while after `since` (a client
    that read the previous timestamp may still be fetching it), then deleted."""

    name = models.CharField(max_length=200)
    since = models.DateTimeField(db_index=True)


class SignerLease(models.Model):
    """One row: which signer may publish, until when. A signer renews it every cycle and
    checks it again in each commit, so two signers never both publish."""

    holder = models.CharField(max_length=100)
    expires = models.DateTimeField()
