"""PyKMIP client driver for test/interop/pykmip-core.test.ts.

Against `krypton serve --profile core` over mutual TLS 1.2: create, get_attributes, locate,
activate, encrypt, decrypt, rekey, revoke, destroy. Prints one JSON object with what it saw.
Usage: pykmip-core.py HOST PORT CERT KEY CA
"""
import json
import sys

from kmip.core import enums
from kmip.core.factories import attributes as attribute_factory
from kmip.pie.client import ProxyKmipClient


def main():
    host, port, cert, key, ca = sys.argv[1:6]
    client = ProxyKmipClient(
        hostname=host,
        port=int(port),
        cert=cert,
        key=key,
        ca=ca,
        ssl_version="PROTOCOL_TLSv1_2",
        config_file="/dev/null",
    )
    factory = attribute_factory.AttributeFactory()
    out = {}
    with client:
        uid = client.create(
            enums.CryptographicAlgorithm.AES,
            256,
            name="pykmip-core-key",
            cryptographic_usage_mask=[
                enums.CryptographicUsageMask.ENCRYPT,
                enums.CryptographicUsageMask.DECRYPT,
            ],
        )
        out["created"] = uid
        _, attrs = client.get_attributes(uid, ["State", "Cryptographic Length", "x-krypton-level"])
        out["attributes"] = {
            a.attribute_name.value: str(getattr(a.attribute_value, "value", a.attribute_value))
            for a in attrs
        }
        out["located"] = client.locate(
            attributes=[factory.create_attribute(enums.AttributeType.NAME, "pykmip-core-key")]
        )
        client.activate(uid)
        params = {
            "block_cipher_mode": enums.BlockCipherMode.CBC,
            "padding_method": enums.PaddingMethod.PKCS5,
            "cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
        }
        iv = b"\x01" * 16
        ciphertext, _ = client.encrypt(b"krypton core via pykmip", uid=uid, cryptographic_parameters=params, iv_counter_nonce=iv)
        out["decrypted"] = client.decrypt(ciphertext, uid=uid, cryptographic_parameters=params, iv_counter_nonce=iv).decode()
        new_uid = client.rekey(uid=uid, offset=0)
        out["rekeyed"] = new_uid
        out["old_decrypts"] = client.decrypt(ciphertext, uid=uid, cryptographic_parameters=params, iv_counter_nonce=iv).decode()
        client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid)
        client.destroy(uid)
        _, after = client.get_attributes(uid, ["State"])
        out["final_state"] = str(getattr(after[0].attribute_value, "value", after[0].attribute_value))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
