package dev.tessera.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.TesseraException;
import dev.tessera.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The safetensors files of a checkpoint folder, single-file or sharded. With a {@code *.safetensors.index.json}
 * the index decides which shard holds which tensor; otherwise every {@code *.safetensors} file is opened (this
 * also covers odd single-shard names such as {@code model.safetensors-00001-of-00001.safetensors}).
 */
public final class CheckpointWeights implements WeightSource {
    private final Path dir;
    private final List<SafeTensorsFile> files;
    private final Map<String, SafeTensorsFile> byName;

    private CheckpointWeights(Path dir, List<SafeTensorsFile> files, Map<String, SafeTensorsFile> byName) {
        this.dir = dir;
        this.files = files;
        this.byName = byName;
    }

    public static CheckpointWeights open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new TesseraException.InvalidInput("not a checkpoint folder: " + dir);
        }
        Path index = findIndex(dir);
        List<Path> shardPaths = new ArrayList<>();
        Map<String, String> weightMap = null;
        if (index != null) {
            JsonNode root = Json.read(index);
            JsonNode wm = root.get("weight_map");
            if (wm == null || !wm.isObject()) {
                throw new TesseraException.InvalidInput(index + ": missing object 'weight_map'");
            }
            weightMap = new LinkedHashMap<>();
            Set<String> shardNames = new TreeSet<>();
            for (var it = wm.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new TesseraException.InvalidInput(index + ": weight_map." + e.getKey() + " must be a file name");
                }
                String shard = e.getValue().asText();
                if (shard.contains("/") || shard.contains("\\") || shard.equals("..")) {
                    throw new TesseraException.InvalidInput(index + ": shard name '" + shard + "' must be a plain file name");
                }
                weightMap.put(e.getKey(), shard);
                shardNames.add(shard);
            }
            for (String s : shardNames) {
                shardPaths.add(dir.resolve(s));
            }
        } else {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().forEach(shardPaths::add);
            } catch (IOException e) {
                throw new TesseraException.InvalidInput("cannot list " + dir + ": " + e.getMessage());
            }
            if (shardPaths.isEmpty()) {
                throw new TesseraException.InvalidInput("no *.safetensors file in " + dir);
            }
        }
        List<SafeTensorsFile> files = new ArrayList<>();
        Map<String, SafeTensorsFile> byName = new LinkedHashMap<>();
        try {
            for (Path p : shardPaths) {
                SafeTensorsFile f = SafeTensorsFile.open(p);
                files.add(f);
                for (String name : f.entries().keySet()) {
                    SafeTensorsFile prev = byName.putIfAbsent(name, f);
                    if (prev != null) {
                        throw new TesseraException.InvalidInput("tensor '" + name + "' is stored twice: in "
                                + prev.path().getFileName() + " and " + p.getFileName());
                    }
                }
            }
            if (weightMap != null) {
                for (var e : weightMap.entrySet()) {
                    SafeTensorsFile f = byName.get(e.getKey());
                    if (f == null || !f.path().getFileName().toString().equals(e.getValue())) {
                        throw new TesseraException.InvalidInput(index + " says tensor '" + e.getKey() + "' is in "
                                + e.getValue() + " but it is " + (f == null ? "in no shard" : "in " + f.path().getFileName()));
                    }
                }
            }
        } catch (RuntimeException e) {
            files.forEach(SafeTensorsFile::close);
            throw e;
        }
        return new CheckpointWeights(dir, files, Collections.unmodifiableMap(byName));
    }

    private static Path findIndex(Path dir) {
        Path standard = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(standard)) {
            return standard;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors.index.json")).sorted().findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    public List<SafeTensorsFile> files() {
        return files;
    }

    @Override
    public String describe() {
        return dir.toString();
    }

    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    @Override
    public boolean has(String name) {
        return byName.containsKey(name);
    }

    @Override
    public Tensor tensor(String name) {
        SafeTensorsFile f = byName.get(name);
        if (f == null) {
            throw new TesseraException.InvalidInput("missing tensor '" + name + "' in " + dir);
        }
        return f.tensor(name);
    }

    @Override
    public void close() {
        files.forEach(SafeTensorsFile::close);
    }
}
