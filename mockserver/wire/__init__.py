"""Wire formats: request adapters and renderers for chat, Responses, embeddings and images; SSE; the stream."""
