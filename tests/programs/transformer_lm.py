"""A small Transformer language model in the style of PyTorch's "Language Modeling with nn.Transformer" tutorial:
a word-level model of a short text written here, token embeddings scaled by sqrt(d_model) plus the tutorial's
sinusoidal PositionalEncoding (a buffer), a causal TransformerEncoder (dropout on), Adam, a few steps of losses;
then eval mode: greedy generation, and a padded batch under no_grad (the nested-tensor path zeroes padding).
Finally a tiny nn.Transformer (encoder-decoder) learns to reverse sequences for a few steps."""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)

text = ("the cat sat on the mat . the dog sat on the log . the cat saw the dog . the dog saw the cat on the mat . "
        "a bird sat on the log and the cat saw the bird .").split()
vocab = sorted(set(text))
stoi = {w: i for i, w in enumerate(vocab)}
data = torch.tensor([stoi[w] for w in text], dtype=torch.long)
print("vocabulary", len(vocab), "tokens", len(data))


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe)

    def forward(self, x):  # x: (seq_len, batch, d_model)
        x = x + self.pe[:x.size(0)]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.1):
        super().__init__()
        self.model_type = 'Transformer'
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers, enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.linear.bias.data.zero_()
        self.linear.weight.data.uniform_(-initrange, initrange)

    def forward(self, src, src_mask=None):
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        if src_mask is None:
            src_mask = nn.Transformer.generate_square_subsequent_mask(len(src))
        output = self.transformer_encoder(src, src_mask)
        return self.linear(output)


bptt = 8


def get_batch(i):
    seq_len = min(bptt, len(data) - 1 - i)
    return data[i:i + seq_len].unsqueeze(1), data[i + 1:i + 1 + seq_len].reshape(-1)


model = TransformerModel(len(vocab), d_model=16, nhead=2, d_hid=32, nlayers=2, dropout=0.1)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
model.train()
for epoch in range(3):
    total = 0.0
    for step, i in enumerate(range(0, len(data) - 1, bptt)):
        src, targets = get_batch(i)
        output = model(src)
        loss = criterion(output.view(-1, len(vocab)), targets)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch + 1} mean loss {total / (step + 1):.5f}")

model.eval()
with torch.no_grad():
    words = ["the", "cat"]
    for _ in range(6):
        src = torch.tensor([stoi[w] for w in words]).unsqueeze(1)
        words.append(vocab[model(src)[-1, 0].argmax().item()])
print("generated:", " ".join(words))

# an encoder fit for PyTorch's fast path, in eval mode under no_grad, on a padded batch
layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(16)).eval()
batch = torch.randn(3, 5, 16)
padding = torch.tensor([[False, False, False, True, True], [False] * 5, [False, True, True, True, True]])
with torch.no_grad():
    out = encoder(batch, src_key_padding_mask=padding)
print("padded positions equal the norm's bias:", bool((out[padding] == encoder.norm.bias).all()))
print("kept positions", [round(v, 4) for v in out[~padding][:, :2].flatten().tolist()])

# nn.Transformer learns to reverse a sequence (teacher forcing, causal target mask)
torch.manual_seed(1)
seq2seq = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32,
                         dropout=0.0, batch_first=True)
embed, head = nn.Embedding(6, 16), nn.Linear(16, 6)
params = list(seq2seq.parameters()) + list(embed.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=0.005)
src = torch.randint(1, 6, (4, 5))
tgt = torch.cat([torch.zeros(4, 1, dtype=torch.long), src.flip(1)], dim=1)  # 0 starts each target
mask = seq2seq.generate_square_subsequent_mask(5)
for step in range(8):
    out = seq2seq(embed(src), embed(tgt[:, :-1]), tgt_mask=mask, tgt_is_causal=True)
    loss = nn.functional.cross_entropy(head(out).reshape(-1, 6), tgt[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 2 == 1:
        print(f"seq2seq step {step + 1} loss {loss.item():.5f}")
