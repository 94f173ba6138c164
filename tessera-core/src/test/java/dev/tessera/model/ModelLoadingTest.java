package dev.tessera.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.io.Json;
import dev.tessera.testing.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wrong configs, unknown architectures, bad token ids and over-long prompts fail with messages a user can act on. */
class ModelLoadingTest {
    @TempDir
    Path dir;

    Path copyGoldenWithConfig(java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path src = Golden.dir("llama-tiny");
        Path dst = Files.createDirectory(dir.resolve("ck"));
        Files.copy(src.resolve("model.safetensors"), dst.resolve("model.safetensors"));
        ObjectNode cfg = (ObjectNode) Json.read(src.resolve("config.json"));
        edit.accept(cfg);
        Files.writeString(dst.resolve("config.json"), Json.MAPPER.writeValueAsString(cfg));
        return dst;
    }

    @Test
    void unsupportedArchitectureIsNamed() throws IOException {
        Path ck = copyGoldenWithConfig(c -> c.put("model_type", "gpt_neox"));
        assertThatThrownBy(() -> Models.load(ck, LoadOptions.defaults()))
                .isInstanceOf(TesseraException.Unsupported.class)
                .hasMessageContaining("model_type 'gpt_neox'")
                .hasMessageContaining("config.json")
                .hasMessageContaining("llama");
    }

    @Test
    void missingKeyNamesKeyAndFile() throws IOException {
        Path ck = copyGoldenWithConfig(c -> c.remove("hidden_size"));
        assertThatThrownBy(() -> Models.load(ck, LoadOptions.defaults()))
                .isInstanceOf(TesseraException.InvalidInput.class)
                .hasMessageContaining("'hidden_size'")
                .hasMessageContaining(ck.resolve("config.json").toString());
    }

    @Test
    void shapeMismatchNamesTheTensor() throws IOException {
        Path ck = copyGoldenWithConfig(c -> c.put("intermediate_size", 128));
        assertThatThrownBy(() -> Models.load(ck, LoadOptions.defaults()))
                .hasMessageContaining("model.layers.0.mlp.gate_proj.weight")
                .hasMessageContaining("[160, 64]")
                .hasMessageContaining("[128, 64]");
    }

    @Test
    void nonDefaultRopeIsRejected() throws IOException {
        Path ck = copyGoldenWithConfig(c -> c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4));
        assertThatThrownBy(() -> Models.load(ck, LoadOptions.defaults()))
                .isInstanceOf(TesseraException.Unsupported.class)
                .hasMessageContaining("yarn");
    }

    @Test
    void tokenOutsideVocabularyAndPromptLongerThanContext() {
        try (Model m = Models.load(Golden.dir("llama-tiny"), LoadOptions.defaults().withMaxContext(8))) {
            ModelState s = m.newState();
            Logits out = Logits.last(m.info().vocabSize());
            assertThatThrownBy(() -> m.forward(new int[] {1, 384}, s, out))
                    .isInstanceOf(TesseraException.InvalidInput.class)
                    .hasMessageContaining("token id 384")
                    .hasMessageContaining("0..383");
            assertThatThrownBy(() -> m.forward(new int[] {-1}, s, out)).hasMessageContaining("token id -1");
            assertThat(s.position()).as("a rejected chunk leaves the state untouched").isZero();
            assertThatThrownBy(() -> m.forward(new int[9], s, out))
                    .isInstanceOf(TesseraException.InvalidInput.class)
                    .hasMessageContaining("context length of 8");
            m.forward(new int[8], s, out);
            assertThatThrownBy(() -> m.forward(new int[1], s, out)).hasMessageContaining("context length of 8");
        }
    }

    @Test
    void missingFolderAndMissingConfig() throws IOException {
        assertThatThrownBy(() -> Models.load(dir.resolve("nope"), LoadOptions.defaults()))
                .hasMessageContaining("model not found");
        assertThatThrownBy(() -> Models.load(dir, LoadOptions.defaults())).hasMessageContaining("no config.json");
    }

    @Test
    void unknownSyntheticPresetListsTheAvailableOnes() {
        assertThatThrownBy(() -> Models.load("synthetic:nope", LoadOptions.defaults()))
                .hasMessageContaining("unknown synthetic preset 'nope'")
                .hasMessageContaining("llama-tiny");
    }
}
