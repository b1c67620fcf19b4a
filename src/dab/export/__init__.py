"""Graph exporters (pure core): a stream of nodes and edges in, one format's bytes out."""
