import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CompaniesRepository } from './companies.repository';
import { Company } from './company.entity';

/** A company as other modules see it. */
export interface CompanySummary {
  id: string;
  name: string;
}

/** Companies for other modules (sign-up creates one with its admin; /v1/me shows it). */
@Injectable()
export class CompaniesService {
  constructor(private readonly companies: CompaniesRepository) {}

  /** Creates a company within the caller's transaction; returns its id. */
  async create(em: EntityManager, name: string): Promise<string> {
    return (await this.companies.insert(em, name)).id;
  }

  /** Companies' names by id (companies that do not exist are absent). */
  async namesOf(em: EntityManager, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.companies.names(em, [...new Set(ids)]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** The company's id and name, or null if there is no such company. */
  async summaryOf(em: EntityManager, id: string): Promise<CompanySummary | null> {
    const company = await this.companies.findById(em, id);
    return company && { id: company.id, name: company.name };
  }

  /** The company with its settings (time zone, billing period and email), or null. */
  settingsOf(em: EntityManager, id: string): Promise<Company | null> {
    return this.companies.findById(em, id);
  }
}
