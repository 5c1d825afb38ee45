/** Entry point of the node agent, built to dist/agent.js (the agent's DaemonSets run it). */
import './agent/main.js';
