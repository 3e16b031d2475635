"""Record and replay: forwarding to a real upstream, recording exchanges as fixture files, secret scrubbing."""
