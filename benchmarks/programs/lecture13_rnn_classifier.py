"""Lecture 13's program: names to ASCII codes, a padded LongTensor per batch, Embedding, a 2-layer bidirectional GRU
over a packed sequence, Linear; the names are made here (no download), their country a function of their letters."""
import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader, Dataset

HIDDEN_SIZE, BATCH_SIZE, N_LAYER, N_CHARS, N_COUNTRY = 100, 256, 2, 128, 18
rng = np.random.default_rng(0)
NAMES = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), size=int(rng.integers(3, 15)))).capitalize()
         for _ in range(4096)]
COUNTRIES = [sum(map(ord, name)) % N_COUNTRY for name in NAMES]


class NameDataset(Dataset):
    def __init__(self, names, countries):
        self.names, self.countries, self.len = names, countries, len(names)

    def __getitem__(self, index):
        return self.names[index], self.countries[index]

    def __len__(self):
        return self.len


class RNNClassifier(torch.nn.Module):
    def __init__(self, input_size, hidden_size, output_size, n_layers=1, bidirectional=True):
        super().__init__()
        self.hidden_size, self.n_layers = hidden_size, n_layers
        self.n_directions = 2 if bidirectional else 1
        self.embedding = torch.nn.Embedding(input_size, hidden_size)
        self.gru = torch.nn.GRU(hidden_size, hidden_size, n_layers, bidirectional=bidirectional)
        self.fc = torch.nn.Linear(hidden_size * self.n_directions, output_size)

    def _init_hidden(self, batch_size):
        return torch.zeros(self.n_layers * self.n_directions, batch_size, self.hidden_size)

    def forward(self, input, seq_lengths):
        input = input.t()
        batch_size = input.size(1)
        hidden = self._init_hidden(batch_size)
        embedding = self.embedding(input)
        gru_input = pack_padded_sequence(embedding, seq_lengths)
        output, hidden = self.gru(gru_input, hidden)
        hidden_cat = torch.cat([hidden[-1], hidden[-2]], dim=1) if self.n_directions == 2 else hidden[-1]
        return self.fc(hidden_cat)


def name2list(name):
    arr = [ord(c) for c in name]
    return arr, len(arr)


def make_tensors(names, countries):
    sequences_and_lengths = [name2list(name) for name in names]
    name_sequences = [sl[0] for sl in sequences_and_lengths]
    seq_lengths = torch.LongTensor([sl[1] for sl in sequences_and_lengths])
    countries = countries.long()
    seq_tensor = torch.zeros(len(name_sequences), seq_lengths.max()).long()
    for idx, (seq, seq_len) in enumerate(zip(name_sequences, seq_lengths), 0):
        seq_tensor[idx, :seq_len] = torch.LongTensor(seq)
    seq_lengths, perm_idx = seq_lengths.sort(dim=0, descending=True)
    return seq_tensor[perm_idx], seq_lengths, countries[perm_idx]


torch.manual_seed(0)
train_loader = DataLoader(NameDataset(NAMES[:3584], COUNTRIES[:3584]), batch_size=BATCH_SIZE, shuffle=True)
test_loader = DataLoader(NameDataset(NAMES[3584:], COUNTRIES[3584:]), batch_size=BATCH_SIZE)
classifier = RNNClassifier(N_CHARS, HIDDEN_SIZE, N_COUNTRY, N_LAYER)
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(classifier.parameters(), lr=0.001)
for epoch in range(1, 4):
    total_loss = 0
    for i, (names, countries) in enumerate(train_loader, 1):
        inputs, seq_lengths, target = make_tensors(names, countries)
        loss = criterion(classifier(inputs, seq_lengths), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    correct = 0
    with torch.no_grad():
        for names, countries in test_loader:
            inputs, seq_lengths, target = make_tensors(names, countries)
            pred = classifier(inputs, seq_lengths).max(dim=1, keepdim=True)[1]
            correct += pred.eq(target.view_as(pred)).sum().item()
    print(f"epoch {epoch}: loss {total_loss:.4f}, test {correct}/{len(test_loader.dataset)}")
