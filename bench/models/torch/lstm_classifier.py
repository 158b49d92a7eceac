"""Text classifier: embedding, LSTM, last time step, dense head."""
import torch.nn as nn


class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size=1000, embed_dim=32, hidden=48, num_classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, tokens):
        emb = self.embedding(tokens)
        out, (h, c) = self.lstm(emb)
        return self.fc(out[:, -1, :])
