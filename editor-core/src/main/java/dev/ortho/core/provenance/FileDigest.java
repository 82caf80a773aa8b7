package dev.ortho.core.provenance;

/**
 * @param path   as given (inputs) or relative to the output directory (outputs)
 * @param size   bytes
 * @param sha256 lowercase hex
 */
public record FileDigest(String path, long size, String sha256) {}
