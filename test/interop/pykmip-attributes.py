"""PyKMIP client driver for test/interop/pykmip-attributes.test.ts.

Against `krypton serve --profile core` over mutual TLS 1.2: get_attribute_list, modify_attribute
and delete_attribute in KMIP 1.2 (PyKMIP's default), set_attribute and get_attribute_list in
KMIP 2.0. Prints one JSON object with what it saw. Usage: pykmip-attributes.py HOST PORT CERT KEY CA
"""
import json
import sys

from kmip.core import enums
from kmip.core import objects as cobjects
from kmip.core import primitives
from kmip.core.factories import attributes as attribute_factory
from kmip.pie.client import ProxyKmipClient


def client_for(args, version):
    host, port, cert, key, ca = args
    return ProxyKmipClient(
        hostname=host,
        port=int(port),
        cert=cert,
        key=key,
        ca=ca,
        ssl_version="PROTOCOL_TLSv1_2",
        config_file="/dev/null",
        kmip_version=version,
    )


def names_of(attrs):
    return [str(a.attribute_value.name_value.value) for a in attrs]


def main():
    args = sys.argv[1:6]
    factory = attribute_factory.AttributeFactory()
    out = {}
    with client_for(args, enums.KMIPVersion.KMIP_1_2) as client:
        uid = client.create(
            enums.CryptographicAlgorithm.AES,
            256,
            name="pykmip-attr-key",
            cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT],
        )
        out["created"] = uid
        out["list_v12"] = client.get_attribute_list(uid)
        _, modified = client.modify_attribute(
            unique_identifier=uid,
            attribute=factory.create_attribute(enums.AttributeType.NAME, "pykmip-attr-renamed", 0),
        )
        out["modified"] = names_of([modified])
        _, attrs = client.get_attributes(uid, ["Name"])
        out["names_after_modify"] = names_of(attrs)
        try:
            client.modify_attribute(
                unique_identifier=uid,
                attribute=factory.create_attribute(enums.AttributeType.OBJECT_TYPE, enums.ObjectType.SECRET_DATA),
            )
            out["read_only_refused"] = None
        except Exception as err:  # KmipOperationFailure carries the Result Reason
            out["read_only_refused"] = str(getattr(err, "reason", err))
        _, deleted = client.delete_attribute(
            unique_identifier=uid,
            attribute_name="Name",
            attribute_index=0,
        )
        out["deleted"] = names_of([deleted])
        _, attrs = client.get_attributes(uid, ["Name"])
        out["names_after_delete"] = names_of(attrs)
    with client_for(args, enums.KMIPVersion.KMIP_2_0) as client:
        client.set_attribute(unique_identifier=uid, attribute_name="Sensitive", attribute_value=True)
        out["list_v20"] = client.get_attribute_list(uid)
        _, attrs = client.get_attributes(uid, ["Sensitive"])
        out["sensitive"] = [bool(a.attribute_value.value) for a in attrs]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
