package dev.ortho.core.provenance;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One direction input of an edit.
 *
 * @param file     as given
 * @param tensor   tensor inside it (null when the file holds one array or the default was used)
 * @param sha256   hash of the file
 * @param index    {@code --direction-index} ("12.4@-1": layer 12.4 at position -1), null without one
 * @param position post-instruction position read (for an index or the harmless means), null otherwise
 */
public record DirectionSourceRecord(String file, String tensor, String sha256,
                                    @JsonInclude(JsonInclude.Include.NON_NULL) String index,
                                    @JsonInclude(JsonInclude.Include.NON_NULL) Integer position) {}
