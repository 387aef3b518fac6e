// One LogOutputChannel for the whole extension; each part writes through a Logger that prefixes its
// component ("[Tree] ...") so a person can follow one part in a long log.
import type * as vscode from 'vscode';

export class Logger {
  constructor(
    readonly channel: vscode.LogOutputChannel,
    private readonly component: string,
  ) {}

  /** A logger for another component on the same channel. */
  child(component: string): Logger {
    return new Logger(this.channel, component);
  }

  trace(message: string, ...args: unknown[]): void {
    this.channel.trace(`[${this.component}] ${message}`, ...args);
  }

  debug(message: string, ...args: unknown[]): void {
    this.channel.debug(`[${this.component}] ${message}`, ...args);
  }

  info(message: string, ...args: unknown[]): void {
    this.channel.info(`[${this.component}] ${message}`, ...args);
  }

  warn(message: string, ...args: unknown[]): void {
    this.channel.warn(`[${this.component}] ${message}`, ...args);
  }

  error(message: string | Error, ...args: unknown[]): void {
    this.channel.error(typeof message === 'string' ? `[${this.component}] ${message}` : message, ...args);
  }
}
