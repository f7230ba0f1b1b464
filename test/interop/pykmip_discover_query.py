"""PyKMIP client driver for test/interop/pykmip.test.ts.

Connects with mutual TLS (TLS 1.2, as PyKMIP's ssl.wrap_socket client does), runs
DiscoverVersions and Query, and prints one JSON object with what it received.
Usage: pykmip_discover_query.py HOST PORT CERT KEY CA
"""
import json
import sys

from kmip.core import enums
from kmip.services.kmip_client import KMIPProxy


def name_of(value):
    """PyKMIP wraps some enumerations (Enumeration.value) and returns others bare."""
    value = getattr(value, "value", value)
    return getattr(value, "name", value)


def main():
    host, port, cert, key, ca = sys.argv[1:6]
    client = KMIPProxy(
        host=host,
        port=int(port),
        certfile=cert,
        keyfile=key,
        ca_certs=ca,
        cert_reqs="CERT_REQUIRED",
        ssl_version="PROTOCOL_TLSv1_2",
        do_handshake_on_connect=True,
        suppress_ragged_eofs=True,
        config_file="/dev/null",
        timeout=10,
    )
    client.open()
    try:
        discovered = client.discover_versions()
        query = client.query(
            query_functions=[
                enums.QueryFunction.QUERY_OPERATIONS,
                enums.QueryFunction.QUERY_OBJECTS,
                enums.QueryFunction.QUERY_SERVER_INFORMATION,
            ]
        )
    finally:
        client.close()
    print(
        json.dumps(
            {
                "discover": {
                    "status": name_of(discovered.result_status),
                    "versions": [
                        "%d.%d" % (v.major, v.minor) for v in (discovered.protocol_versions or [])
                    ],
                },
                "query": {
                    "status": name_of(query.result_status),
                    "operations": [enums.Operation(name_of(o)).name if isinstance(name_of(o), int) else name_of(o) for o in (query.operations or [])],
                    "vendor": getattr(query.vendor_identification, "value", query.vendor_identification),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
