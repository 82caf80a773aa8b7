package dev.ortho.core.search;

import org.moeaframework.algorithm.NSGAII;
import org.moeaframework.core.PRNG;
import org.moeaframework.core.Solution;
import org.moeaframework.core.initialization.InjectedInitialization;
import org.moeaframework.core.variable.EncodingUtils;
import org.moeaframework.problem.AbstractProblem;

import java.util.function.Function;

/**
 * NSGA-II (Deb et al. 2002) from the MOEA Framework over the unit box of a {@link SearchSpace}: simulated binary
 * crossover and polynomial mutation on real variables, non-dominated sorting with crowding distance. The framework
 * draws every random number from its one generator, seeded here, and evaluates serially, so the same seed asks for
 * the same points in the same order. Points given as {@code start} are the first of the initial population.
 */
final class Nsga2 {

    private Nsga2() {}

    /**
     * Runs whole generations until at least {@code trials} points were evaluated.
     *
     * @param evaluate the objectives of a point, all minimized
     * @param afterGeneration called with the number of evaluations so far after each generation
     */
    static void run(int variables, int objectives, int population, int trials, long seed, java.util.List<double[]> start,
                    Function<double[], double[]> evaluate, java.util.function.IntConsumer afterGeneration) {
        AbstractProblem problem = new AbstractProblem(variables, objectives) {
            @Override
            public void evaluate(Solution s) {
                s.setObjectives(evaluate.apply(EncodingUtils.getReal(s)));
            }

            @Override
            public Solution newSolution() {
                Solution s = new Solution(variables, objectives);
                for (int i = 0; i < variables; i++) s.setVariable(i, EncodingUtils.newReal(0, 1));
                return s;
            }
        };
        synchronized (PRNG.class) {
            PRNG.setSeed(seed);
            NSGAII algorithm = new NSGAII(problem);
            algorithm.setInitialPopulationSize(population);
            if (!start.isEmpty()) {
                java.util.List<Solution> injected = new java.util.ArrayList<>();
                for (double[] x : start) {
                    Solution sol = problem.newSolution();
                    EncodingUtils.setReal(sol, x);
                    injected.add(sol);
                }
                algorithm.setInitialization(new InjectedInitialization(problem, injected));
            }
            while (algorithm.getNumberOfEvaluations() < trials) {
                algorithm.step();
                afterGeneration.accept(algorithm.getNumberOfEvaluations());
            }
        }
    }
}
