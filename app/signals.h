#pragma once
// Ctrl-C and SIGTERM: the first one starts an orderly stop (running queries
// cancelled, scratch schema dropped, throwaway server stopped and deleted);
// a third one quits at once.

namespace migsim::app {

// Call first thing in main(), before any other thread exists: blocks SIGINT
// and SIGTERM in every thread and handles them on a thread of their own.
void install_interrupt_handling();

}  // namespace migsim::app
