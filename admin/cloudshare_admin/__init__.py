"""`cloudshare-admin`: the operator's command line (accounts, plans, keys, sweeps, audits, key rotation)
against a deployed stack (`--stack`), or the local one inside a checkout running `make dev`.

It runs the service's own code (the `cloudshare` layer) on the operator's AWS credentials; the local
stack's tooling (devtools) is imported only for the local stack.
"""
