// `ring1 experiment` and `ring1 sweep`: their CLI11 options and the commands themselves (the engine is
// experiment/experiment.h). Kept out of main.cpp, which only parses (as src/cli holds `ring1 run`).
#pragma once
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

namespace ring1 {

struct ExperimentOptions;
struct SweepOptions;

struct ExperimentCommands {
  CLI::App* experiment = nullptr;
  CLI::App* sweep = nullptr;
  std::shared_ptr<ExperimentOptions> eo;
  std::shared_ptr<SweepOptions> so;
};

ExperimentCommands add_experiment_commands(CLI::App& app);
// The exit status of the command that was parsed, or nullopt when neither was.
std::optional<int> run_experiment_commands(const ExperimentCommands& c, const char* argv0);

}  // namespace ring1
