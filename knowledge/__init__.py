"""The knowledge base: ingestion, chunking, embeddings, the vector store and retrieval."""
