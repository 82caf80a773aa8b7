package dev.ortho.core.pipeline;

/** Progress of one long pipeline step, counted in units of work (prompts, candidates). */
public interface StepProgress {

    /** A step named {@code name} with {@code total} units begins. */
    void begin(String name, int total);

    /** {@code units} more units are done. */
    void advance(int units);

    /** The step is over. */
    void end();

    StepProgress NONE = new StepProgress() {
        @Override public void begin(String name, int total) {}
        @Override public void advance(int units) {}
        @Override public void end() {}
    };
}
