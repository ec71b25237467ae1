"""Tiny random models of real architectures, built from configs and saved to a folder: no downloads.

The tokenizers are trained here on a few sentences (byte-level BPE for the GPTs, WordPiece for BERT),
so the loading code under test reads real files of the same kinds the Hub ships. The two Mistral
presets' stand-ins (`mistral_instruct`, `e5_mistral`) carry the real Mistral 7B v0.1 tokenizer instead
(`tests.support.mistral_tokenizer`, from the mistral-common wheel) and its full 32,000-token vocabulary.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import BertConfig, BertModel, LlamaConfig, LlamaForCausalLM, MistralConfig, MistralModel, PreTrainedTokenizerFast

from tests.support.mistral_tokenizer import load_tokenizer
from embedlab.loading import save_tokenizer

CORPUS = [
    "Where is the headquarter of OpenAI? OpenAI is based at San Francisco.",
    "What is GPU? A graphics processing unit is an electronic circuit that can perform calculations quickly.",
    "Instruct: Given a question, retrieve passages that answer the question Query: This sentence means in one word",
    "Rewrite the sentence, rewritten sentence. The quick brown fox jumps over the lazy dog 0123456789.",
]
# Mistral-7B-Instruct-v0.1's chat template as its Hub tokenizer_config.json had it when llama-cpp-python
# copied it into llama_cpp/llama_chat_format.py (MISTRAL_INSTRUCT_CHAT_TEMPLATE, "Source: https://
# huggingface.co/mistralai/Mistral-7B-Instruct-v0.1/blob/main/tokenizer_config.json"). It has no system
# role and ignores add_generation_prompt; Mistral's own v1 format is "<s> [INST] {text} [/INST]".
MISTRAL_V01_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def gpt_tokenizer(append_eos: bool = False, chat: bool = True) -> PreTrainedTokenizerFast:
    specials = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS * 4, trainers.BpeTrainer(vocab_size=300, special_tokens=specials,
                                                            initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    single = "<s> $A </s>" if append_eos else "<s> $A"
    tok.post_processor = processors.TemplateProcessing(
        single=single, special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    if chat:
        fast.chat_template = CHAT_TEMPLATE
    return fast


@functools.lru_cache(maxsize=None)
def _real_mistral(append_eos: bool):
    return load_tokenizer(append_eos=append_eos)  # a second or two to convert: once per process


def mistral_tokenizer(chat: bool = False, append_eos: bool = False):
    """The real Mistral 7B v0.1 tokenizer (BOS in front; EOS after only with `append_eos`), with
    Mistral-7B-Instruct-v0.1's chat template where `chat`."""
    tok = copy.deepcopy(_real_mistral(append_eos))
    if chat:
        tok.chat_template = MISTRAL_V01_CHAT_TEMPLATE
    return tok


def bert_tokenizer() -> PreTrainedTokenizerFast:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(CORPUS * 4, trainers.WordPieceTrainer(vocab_size=200, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")


def _small(config_cls, vocab: int, **extra):
    return config_cls(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, max_position_embeddings=256, **extra)


def llama_causal(folder: Path, append_eos: bool = False, chat: bool = True) -> Path:
    """A 2-layer LlamaForCausalLM with an LM head and a chat template."""
    torch.manual_seed(0)
    tok = gpt_tokenizer(append_eos=append_eos, chat=chat)
    config = _small(LlamaConfig, len(tok), num_key_value_heads=2, bos_token_id=tok.bos_token_id,
                    eos_token_id=tok.eos_token_id, pad_token_id=tok.eos_token_id)
    LlamaForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return Path(folder)


def mistral_encoder(folder: Path, append_eos: bool = False) -> Path:
    """A 2-layer MistralModel with no LM head, like intfloat/e5-mistral-7b-instruct."""
    torch.manual_seed(1)
    tok = gpt_tokenizer(append_eos=append_eos, chat=False)
    config = _small(MistralConfig, len(tok), num_key_value_heads=2, bos_token_id=tok.bos_token_id,
                    eos_token_id=tok.eos_token_id, sliding_window=None)
    MistralModel(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return Path(folder)


def mistral_causal(folder: Path, layers: int = 2) -> Path:
    """A MistralForCausalLM (LM head, no chat template) with `layers` layers: a 7B Mistral's shape in miniature."""
    from transformers import MistralForCausalLM

    torch.manual_seed(3)
    tok = gpt_tokenizer(chat=False)
    config = MistralConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=layers,
                           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                           bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, sliding_window=None)
    MistralForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return Path(folder)


def _real_mistral_model(model_cls, folder: Path, tok, seed: int) -> Path:
    torch.manual_seed(seed)
    config = MistralConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                           bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, sliding_window=None)
    model_cls(config).save_pretrained(folder)
    save_tokenizer(tok, folder)  # as the Hub has it: `legacy` on (read where a LlamaTokenizer is rebuilt)
    return Path(folder)


def mistral_instruct(folder: Path) -> Path:
    """Mistral-7B-Instruct-v0.1 in miniature: a 2-layer MistralForCausalLM (LM head over all 32,000 tokens)
    with the real tokenizer and the v0.1 chat template."""
    from transformers import MistralForCausalLM

    return _real_mistral_model(MistralForCausalLM, folder, mistral_tokenizer(chat=True), seed=4)


def e5_mistral(folder: Path, append_eos: bool = False) -> Path:
    """e5-mistral-7b-instruct in miniature: a 2-layer MistralModel (no LM head) with the real tokenizer;
    `append_eos` for a tokenizer that ends every text with EOS itself."""
    return _real_mistral_model(MistralModel, folder, mistral_tokenizer(append_eos=append_eos), seed=5)


def bert_sentence_transformer(folder: Path, pooling: str = "mean", normalize: bool = True, max_seq_length: int = 16) -> Path:
    """A 2-layer BERT saved with a sentence-transformers configuration (Transformer, Pooling, Normalize)."""
    torch.manual_seed(2)
    folder = Path(folder)
    tok = bert_tokenizer()
    BertModel(_small(BertConfig, len(tok))).save_pretrained(folder)
    tok.save_pretrained(folder)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": 32, "pooling_mode_cls_token": pooling == "cls",
        "pooling_mode_mean_tokens": pooling == "mean", "pooling_mode_max_tokens": pooling == "max",
        "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_lasttoken": pooling == "lasttoken"}))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_seq_length, "do_lower_case": False}))
    return folder
