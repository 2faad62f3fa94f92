/** Realistic snippets of the 12 parsed languages, shared by the tree-sitter chunker tests. */
export const SNIPPETS: Readonly<Record<string, { path: string; text: string }>> = {
  typescript: {
    path: 'src/user-service.ts',
    text: `import { Db } from './db.js';
import type { User } from './types.js';

/** Loads and saves users. */
export class UserService {
  constructor(private readonly db: Db) {}

  async find(id: string): Promise<User | null> {
    return this.db.get('users', id);
  }
}

export interface Repo<T> {
  get(id: string): Promise<T>;
}

export type UserId = string;

export enum Role {
  Admin,
  Member,
}

export const slugify = (s: string): string => s.toLowerCase().replace(/\\s+/g, '-');

namespace Internal {
  export const x = 1;
}
`,
  },
  tsx: {
    path: 'src/button.tsx',
    text: `import React from 'react';

// A button.
export function Button({ label }: { label: string }) {
  return <button className="btn">{label}</button>;
}

export const Card = ({ title }: { title: string }) => (
  <div>{title}</div>
);
`,
  },
  javascript: {
    path: 'lib/math.js',
    text: `const assert = require('assert');

function add(a, b) {
  return a + b;
}

class Vector {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }

  length() {
    return Math.hypot(this.x, this.y);
  }
}

module.exports = { add, Vector };
`,
  },
  python: {
    path: 'pkg/shapes.py',
    text: `import math
from typing import List


@dataclass
class Circle:
    """A circle."""

    r: float

    def area(self) -> float:
        return math.pi * self.r ** 2


def total_area(shapes: List[Circle]) -> float:
    # Sum of areas.
    return sum(s.area() for s in shapes)
`,
  },
  go: {
    path: 'server/handler.go',
    text: `package server

import (
	"fmt"
	"net/http"
)

// Handler serves requests.
type Handler struct {
	name string
}

type Greeter interface {
	Greet() string
}

// ServeHTTP writes a greeting.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello %s", h.name)
}

func New(name string) *Handler {
	return &Handler{name: name}
}
`,
  },
  rust: {
    path: 'src/lib.rs',
    text: `use std::fmt;

#[derive(Debug)]
pub struct Point {
    x: i32,
    y: i32,
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

pub trait Shape {
    fn area(&self) -> f64;
}

pub enum Kind {
    A,
    B,
}

mod tests {
    fn helper() {}
}

pub fn origin() -> Point {
    Point { x: 0, y: 0 }
}
`,
  },
  java: {
    path: 'src/main/java/com/acme/Greeter.java',
    text: `package com.acme;

import java.util.List;

/** Greets people. */
@Service
public class Greeter {
    private final String prefix;

    public Greeter(String prefix) {
        this.prefix = prefix;
    }

    public String greet(String name) {
        return prefix + name;
    }
}

interface Named {
    String name();
}

enum Level { LOW, HIGH }
`,
  },
  c: {
    path: 'src/list.c',
    text: `#include <stdlib.h>
#include "list.h"

struct node {
    int value;
    struct node *next;
};

typedef struct {
    struct node *head;
} list_t;

/* Pushes a value. */
static int list_push(list_t *l, int v) {
    struct node *n = malloc(sizeof *n);
    n->value = v;
    n->next = l->head;
    l->head = n;
    return 0;
}

enum color { RED, GREEN };
`,
  },
  cpp: {
    path: 'src/shape.cpp',
    text: `#include <cmath>

namespace geo {

class Circle {
public:
    explicit Circle(double r) : r_(r) {}
    double area() const { return M_PI * r_ * r_; }
private:
    double r_;
};

template <typename T>
T square(T x) {
    return x * x;
}

}  // namespace geo

int main() {
    return 0;
}
`,
  },
  csharp: {
    path: 'src/Billing/Invoice.cs',
    text: `using System;
using System.Collections.Generic;

namespace Billing
{
    public class Invoice
    {
        public decimal Total { get; set; }

        public void AddLine(decimal amount)
        {
            Total += amount;
        }
    }

    public interface IPayable
    {
        void Pay();
    }

    public struct Money
    {
        public decimal Amount;
    }

    public enum Status { Open, Paid }
}
`,
  },
  ruby: {
    path: 'lib/billing/invoice.rb',
    text: `require 'json'

module Billing
  # An invoice.
  class Invoice
    def initialize(lines)
      @lines = lines
    end

    def self.load(path)
      new(JSON.parse(File.read(path)))
    end
  end
end

def helper
  42
end
`,
  },
  php: {
    path: 'src/Invoice.php',
    text: `<?php

namespace App\\Billing;

use App\\Models\\Line;

interface Payable
{
    public function pay(): void;
}

class Invoice implements Payable
{
    private array $lines = [];

    public function pay(): void
    {
        $this->paid = true;
    }
}

function format_money(float $amount): string
{
    return number_format($amount, 2);
}
`,
  },
};
