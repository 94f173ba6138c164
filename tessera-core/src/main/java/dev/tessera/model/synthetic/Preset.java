package dev.tessera.model.synthetic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A synthetic model: the config.json a real checkpoint of this shape would carry, how each tensor is initialised
 * (by name), and which optional tensors the checkpoint would not have (e.g. {@code lm_head.weight} when tied).
 *
 * @param family the model_type, for messages
 * @param description one line for help output
 * @param config the full config.json content
 * @param init tensor name → initialiser
 * @param absent names a real checkpoint of this shape would not contain
 */
public record Preset(String name, String family, String description, ObjectNode config,
                     Function<String, Init> init, Predicate<String> absent) {}
