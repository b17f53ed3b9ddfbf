#include <iostream>
#include <string>
#include <vector>

#include "app/cli.h"
#include "app/signals.h"

int main(int argc, char** argv) {
  migsim::app::install_interrupt_handling();
  std::vector<std::string> args(argv + 1, argv + argc);
  return migsim::app::run_cli(args, std::cout, std::cerr);
}
