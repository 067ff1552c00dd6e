/**
 * actorClass(import.meta.url, Counter): marks a class of a task module as an actor class. It is
 * registered like a task() function (workers import the module and find it by name), so the same
 * rule holds: only code from modules a worker may import is ever instantiated there.
 */
import { task } from '@parajob/core';

const actorClasses = new WeakSet<Function>();

export function actorClass<C extends abstract new (...args: any[]) => any>(
  moduleUrl: string,
  Class: C,
  options: { name?: string } = {},
): C {
  task(moduleUrl, Class, options);
  actorClasses.add(Class);
  return Class;
}

export function isActorClass(value: unknown): value is new (...args: any[]) => any {
  return typeof value === 'function' && actorClasses.has(value);
}
