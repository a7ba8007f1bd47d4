// Tells every subscriber about an event.
#pragma once
#include <string>
#include <vector>

void notify_subscribers(const std::vector<std::string> &urls, const std::string &event);
