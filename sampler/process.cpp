#include "sampler/process.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace migsim::sampler {

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& as_user) {
  uid_t uid = 0;
  gid_t gid = 0;
  const bool switch_user = !as_user.empty() && geteuid() == 0;
  if (switch_user) {
    const passwd* pw = getpwnam(as_user.c_str());
    if (pw == nullptr) {
      throw std::runtime_error(fmt::format(
          "running as root, but there is no '{}' user to run PostgreSQL as (install postgresql-15)", as_user));
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }

  int pipefd[2];
  if (pipe(pipefd) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(pipefd[1], STDOUT_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    close(pipefd[0]);
    close(pipefd[1]);
    if (chdir("/") != 0) _exit(126);
    if (switch_user) {
      if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
    }
    execv(args[0], args.data());
    _exit(127);
  }

  close(pipefd[1]);
  ProcessResult result;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(pipefd[0], buffer, sizeof buffer);
    if (n > 0) {
      result.output.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipefd[0]);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (result.exit_code == 127) result.output += fmt::format("\ncould not execute {}", argv[0]);
  return result;
}

}  // namespace migsim::sampler
