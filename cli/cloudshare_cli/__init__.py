"""`cloudshare`: a command line client of the cloudshare HTTP API (v3 items, v1 artifacts).

It speaks HTTP only: it never imports the service's layer, and holds no AWS credentials.
"""

__version__ = "0.1.0"
