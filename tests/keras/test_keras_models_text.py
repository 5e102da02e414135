"""Stand-ins of text models written the way keras_hub writes them (no downloads): a backbone of
a token ReversibleEmbedding plus a learned PositionEmbedding, TransformerEncoder blocks
(MultiHeadAttention, LayerNormalization, a Dense MLP) and a head tied to the token table; and
a GPT-2-style block whose q/k/v live packed in one Dense, ``c_attn``. Each ends in the
contract's states and every drawn kernel passes the statistics."""

from __future__ import annotations

import ast
import math
import re
import warnings
from typing import Any

import keras
import pytest
from keras_helpers import assert_contract

import xavier_core as xc
from xavier_adapters import keras as xk

layers = keras.layers
VOCAB, LENGTH, WIDTH, HEADS, FFN = 256, 16, 32, 4, 64


class PositionEmbedding(keras.Layer):
    """keras_hub.layers.PositionEmbedding: a learned (sequence_length, width) table."""

    def __init__(self, sequence_length: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sequence_length = sequence_length

    def build(self, input_shape: tuple) -> None:
        self.position_embeddings = self.add_weight(
            name="embeddings", shape=(self.sequence_length, input_shape[-1]),
            initializer="glorot_uniform")

    def call(self, inputs: Any) -> Any:
        length = keras.ops.shape(inputs)[-2]
        return keras.ops.broadcast_to(self.position_embeddings[:length], keras.ops.shape(inputs))


class TransformerEncoder(keras.Layer):
    """keras_hub.layers.TransformerEncoder (post-norm): attention, add & norm, MLP, add & norm."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(HEADS, WIDTH // HEADS, name="self_attention")
        self.attention_norm = layers.LayerNormalization(name="self_attention_layer_norm")
        self.intermediate = layers.Dense(FFN, activation="relu",
                                         name="feedforward_intermediate_dense")
        self.output_dense = layers.Dense(WIDTH, name="feedforward_output_dense")
        self.feedforward_norm = layers.LayerNormalization(name="feedforward_layer_norm")
        self.dropout = layers.Dropout(0.1)

    def build(self, input_shape: tuple) -> None:
        self.attention.build(input_shape, input_shape)
        self.attention_norm.build(input_shape)
        self.intermediate.build(input_shape)
        self.output_dense.build((*input_shape[:-1], FFN))
        self.feedforward_norm.build(input_shape)

    def call(self, x: Any) -> Any:
        x = self.attention_norm(x + self.dropout(self.attention(x, x)))
        return self.feedforward_norm(x + self.output_dense(self.intermediate(x)))


def text_model(tie_weights: bool = True, blocks: int = 2) -> keras.Model:
    tokens = keras.Input((LENGTH,), dtype="int32")
    token_embedding = layers.ReversibleEmbedding(VOCAB, WIDTH, tie_weights=tie_weights,
                                                 name="token_embedding")
    x = token_embedding(tokens)
    x = x + PositionEmbedding(LENGTH, name="position_embedding")(x)
    for index in range(blocks):
        x = TransformerEncoder(name=f"transformer_layer_{index}")(x)
    return keras.Model(tokens, token_embedding(x, reverse=True), name="text")


PER_BLOCK = {"drawn": 6, "bias": 6, "norm": 4}  # q, k, v, output + 2 MLP kernels; their biases


def test_text_model_ends_in_the_contract() -> None:
    model = text_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error", xc.UnhandledWarning)
        report = xk.init_model(model, seed=0)
    drawn, bias, norm = (2 * PER_BLOCK[k] for k in ("drawn", "bias", "norm"))
    assert report.summary() == (
        f"{drawn + bias + norm + 2} tensors: {drawn} drawn, {bias + norm + 2} kept (bias {bias}, "
        f"normalization layer {norm}, embedding 2), 0 unhandled"), report.summary()
    assert_contract(model, report, "text model")
    for name in ("query", "key", "value", "attention_output"):
        path = f"transformer_layer_1/self_attention/{name}/kernel"
        assert report[path].fans == xc.Fans(WIDTH, WIDTH), f"got {report[path].fans} [{path}]"
    path = "transformer_layer_0/feedforward_intermediate_dense/kernel"
    assert report[path].fans == xc.Fans(WIDTH, FFN), f"got {report[path].fans} [{path}]"


def test_embeddings_opt_in_draws_both_tables_and_says_the_token_one_is_the_head() -> None:
    model = text_model()
    report = xk.init_model(model, seed=1, embeddings=True)
    token, position = report["token_embedding/embeddings"], report["position_embedding/embeddings"]
    assert (token.state, token.fans) == ("drawn", xc.Fans(VOCAB, WIDTH)), token
    assert (position.state, position.fans) == ("drawn", xc.Fans(LENGTH, WIDTH)), position
    assert "tied: also the output head" in token.note, token
    assert_contract(model, report, "text model, embeddings=True")


def test_an_untied_head_is_drawn_without_the_opt_in() -> None:
    model = text_model(tie_weights=False, blocks=1)
    report = xk.init_model(model, seed=2)
    head, table = report["token_embedding/reverse_embeddings"], report["token_embedding/embeddings"]
    assert (head.state, head.fans) == ("drawn", xc.Fans(WIDTH, VOCAB)), head
    assert (table.state, table.reason) == ("kept", "embedding"), table
    assert "tied" not in table.note, table
    assert_contract(model, report, "untied head")


def test_gain_by_layer_glob_reaches_every_block() -> None:
    model = text_model()
    report = xk.init_model(model, "normal", gain={"*/feedforward_intermediate_dense": "relu"},
                           seed=3)
    for record in report.by_state("drawn"):
        gain = math.sqrt(2) if "intermediate" in record.name else 1.0
        expected = xc.glorot_normal(gain).distribution_for(record.fans)
        assert record.distribution == expected, (
            f"got {record.distribution}, but should be {expected} [{record.name}]")
    assert_contract(model, report, "gain by glob")


class GPT2Block(keras.Layer):
    """transformers' TFGPT2 attention: q, k, v from one Dense ``c_attn`` of width 3E, split."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.c_attn = layers.Dense(3 * WIDTH, name="c_attn")
        self.c_proj = layers.Dense(WIDTH, name="c_proj")

    def build(self, input_shape: tuple) -> None:
        self.c_attn.build(input_shape)
        self.c_proj.build(input_shape)

    def call(self, x: Any) -> Any:
        query, key, value = keras.ops.split(self.c_attn(x), 3, axis=-1)
        weights = keras.ops.softmax(keras.ops.einsum("btd,bsd->bts", query, key), axis=-1)
        return self.c_proj(keras.ops.einsum("bts,bsd->btd", weights, value))


def gpt2_like(blocks: int = 3) -> keras.Model:
    inputs = keras.Input((LENGTH, WIDTH))
    x = inputs
    for index in range(blocks):
        x = GPT2Block(name=f"h_{index}")(x)
    return keras.Model(inputs, x, name="gpt2_like")


def test_packed_c_attn_gets_a_note_that_fixes_every_block_when_followed() -> None:
    model = gpt2_like()
    report = xk.init_model(model, seed=4)
    notes = {r.note for r in report if r.name.endswith("c_attn/kernel")}
    assert len(notes) == 1, f"got {notes}, but every block should get the same note"
    note = notes.pop()
    for record in report:
        if record.name.endswith("c_attn/kernel"):
            assert record.fans == xc.Fans(WIDTH, 3 * WIDTH), f"got {record.fans}: a guess"
    match = re.search(r"layouts=(\{.*\})", note)
    assert match, f"got note {note!r}, but should give a layouts= entry"
    glob = next(iter(ast.literal_eval(match.group(1).replace("xc.CHANNELS_LAST.with_(blocks=3)",
                                                             "None"))))
    assert glob == "h_*/c_attn/kernel", f"got {glob!r}, but one entry should cover every block"
    followed = xk.init_model(model, seed=4, layouts={glob: xc.CHANNELS_LAST.with_(blocks=3)})
    for record in followed.by_state("drawn"):
        assert record.fans == xc.Fans(WIDTH, WIDTH), f"got {record.fans} [{record.name}]"
    assert_contract(model, followed, "packed c_attn, layouts= followed")


@pytest.mark.parametrize("strict", [False, True], ids=["warns", "strict"])
def test_a_gpt2_block_without_dense_sublayers_is_unhandled(strict: bool) -> None:
    class Conv1D(keras.Layer):  # transformers' TFConv1D: a (nx, nf) weight, no keras.Dense
        def build(self, input_shape: tuple) -> None:
            self.weight = self.add_weight(name="weight", shape=(input_shape[-1], 3 * WIDTH))
            self.bias = self.add_weight(name="bias", shape=(3 * WIDTH,), initializer="zeros")

        def call(self, x: Any) -> Any:
            return x @ self.weight + self.bias

    layer = Conv1D(name="c_attn")
    layer.build((None, WIDTH))
    if strict:
        with pytest.raises(xc.XavierError, match="2 tensor\\(s\\) left as they were"):
            xk.init_model(layer, seed=5, strict=True)
        return
    with pytest.warns(xc.UnhandledWarning, match="c_attn/weight \\(Conv1D"):
        report = xk.init_model(layer, seed=5)
    assert report.summary() == "2 tensors: 2 unhandled (no rule for Conv1D 2)", report.summary()
