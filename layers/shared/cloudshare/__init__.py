"""cloudshare: the shared domain of every function (models, services, store, dialects)."""

from cloudshare import coldstart

coldstart.begin()
