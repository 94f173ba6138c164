package dev.tessera.model.synthetic;

import dev.tessera.TesseraException;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;

/** Placeholder replaced below. */
public final class Synthetic {
    private Synthetic() {}

    public static Model load(String spec, LoadOptions options) {
        throw new TesseraException.Unsupported("synthetic models are not built yet: " + spec);
    }
}
