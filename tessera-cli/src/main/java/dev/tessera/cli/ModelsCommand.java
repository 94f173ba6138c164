package dev.tessera.cli;

import dev.tessera.model.Models;
import dev.tessera.model.synthetic.Preset;
import dev.tessera.model.synthetic.Synthetic;
import picocli.CommandLine.Command;

/** {@code tessera models}: the built-in synthetic presets and the supported architectures. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "Lists the synthetic:<preset> models built in and the architectures Tessera loads.")
final class ModelsCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("Architectures (model_type): " + Models.SUPPORTED);
        System.out.println("Synthetic presets (random weights, generated in memory; append @fp16 or @f32 for other weights, @int8lin/@int8hu/@int4lin/@int4hu to quantize):");
        for (Preset p : Synthetic.presets().values()) {
            System.out.printf("  synthetic:%-22s %-18s %s%n", p.name(), p.family(), p.description());
        }
    }
}
