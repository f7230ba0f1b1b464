"""PyKMIP client driver for test/interop/pykmip-wrapped.test.ts.

Against `krypton serve --profile core` over mutual TLS 1.2: register an AES-256 key-encryption
key (Wrap Key, Unwrap Key), then register a Symmetric Key and a Private Key wrapped under it
(kmip.pie objects with key_wrapping_data: Wrapping Method Encrypt, NIST key wrap / key wrap with
padding, No Encoding), wrapped here with `cryptography`; encrypt with the unwrapped key and get
the private key back; a tampered wrapped key is refused with Cryptographic Failure. PyKMIP 0.10
builds Secret Data without Key Wrapping Data, and reads a Key Value only as a structure, so a Get
answer wrapped the spec's way (Key Value Byte String) is not parsed by it: the Get → Register
round trip is tested with Krypton's client (test/plugins/register-wrapped.test.ts).
Prints one JSON object with what it saw.
Usage: pykmip-wrapped.py HOST PORT CERT KEY CA
"""
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap, aes_key_wrap_with_padding
from kmip.core import enums
from kmip.pie import objects
from kmip.pie.client import ProxyKmipClient


def wrapping(kek_uid, mode):
    return {
        "wrapping_method": enums.WrappingMethod.ENCRYPT,
        "encryption_key_information": {
            "unique_identifier": kek_uid,
            "cryptographic_parameters": {"block_cipher_mode": mode},
        },
        "encoding_option": enums.EncodingOption.NO_ENCODING,
    }


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
    out = {}
    kek = os.urandom(32)
    dek = os.urandom(32)
    block = b"sixteen byte blk"
    ecb = {
        "block_cipher_mode": enums.BlockCipherMode.ECB,
        "padding_method": enums.PaddingMethod.NONE,
    }
    with client:
        kek_uid = client.register(
            objects.SymmetricKey(
                enums.CryptographicAlgorithm.AES,
                256,
                kek,
                masks=[
                    enums.CryptographicUsageMask.WRAP_KEY,
                    enums.CryptographicUsageMask.UNWRAP_KEY,
                    enums.CryptographicUsageMask.ENCRYPT,
                    enums.CryptographicUsageMask.DECRYPT,
                ],
            )
        )
        client.activate(kek_uid)

        wrapped_key = objects.SymmetricKey(
            enums.CryptographicAlgorithm.AES,
            256,
            aes_key_wrap(kek, dek),
            masks=[enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT],
            key_wrapping_data=wrapping(kek_uid, enums.BlockCipherMode.NIST_KEY_WRAP),
        )
        dek_uid = client.register(wrapped_key)
        client.activate(dek_uid)
        encrypted, _ = client.encrypt(block, uid=dek_uid, cryptographic_parameters=ecb)
        local = Cipher(algorithms.AES(dek), modes.ECB()).encryptor().update(block)
        out["symmetric_matches"] = encrypted == local

        # A private key (PKCS#8) wrapped with key wrap with padding.
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        private_uid = client.register(
            objects.PrivateKey(
                enums.CryptographicAlgorithm.RSA,
                2048,
                aes_key_wrap_with_padding(kek, der),
                enums.KeyFormatType.PKCS_8,
                masks=[enums.CryptographicUsageMask.SIGN],
                key_wrapping_data=wrapping(kek_uid, enums.BlockCipherMode.AES_KEY_WRAP_PADDING),
            )
        )
        got = client.get(private_uid)
        out["private_matches"] = got.value == der

        # A tampered wrapped value: the server answers Cryptographic Failure.
        tampered = bytearray(aes_key_wrap(kek, dek))
        tampered[3] ^= 1
        try:
            client.register(
                objects.SymmetricKey(
                    enums.CryptographicAlgorithm.AES,
                    256,
                    bytes(tampered),
                    key_wrapping_data=wrapping(kek_uid, enums.BlockCipherMode.NIST_KEY_WRAP),
                )
            )
            out["tampered"] = "accepted"
        except Exception as err:  # noqa: BLE001 - the reason is what is reported
            out["tampered"] = getattr(getattr(err, "reason", None), "name", str(err))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
