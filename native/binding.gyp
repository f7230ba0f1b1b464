{
  "targets": [
    {
      "target_name": "krypton_aes_kw",
      "sources": ["aes_kw.c"],
      "cflags": ["-O2", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2"],
      "conditions": [["target_arch!='x64'", {"type": "none", "sources": []}]]
    }
  ]
}
