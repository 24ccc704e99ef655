import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { OutboxService } from '../outbox/outbox.service';
import { CompanyDto, UpdateCompanyDto } from './company.dto';
import { Company } from './company.entity';
import { CompaniesRepository } from './companies.repository';

const toCompanyDto = (c: Company): CompanyDto => ({
  id: c.id,
  name: c.name,
  timeZone: c.timeZone,
  billingPeriod: c.billingPeriod,
  billingEmail: c.billingEmail,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
});

/** The company's own settings: its name, time zone and how it is billed. */
@Injectable()
export class CompanySettingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly companies: CompaniesRepository,
    private readonly outbox: OutboxService,
  ) {}

  async get(actor: Actor): Promise<CompanyDto> {
    const company = await this.companies.findById(this.db.manager, requireCompany(actor));
    if (!company) throw DomainError.notFound('Company');
    return toCompanyDto(company);
  }

  /** Only the fields sent change; `billingEmail: null` clears it. */
  async update(actor: Actor, input: UpdateCompanyDto): Promise<CompanyDto> {
    const id = requireCompany(actor);
    // A zone the database cannot use would stop the company's invoicing for good (every period
    // computation fails), so it is refused here, naming the field.
    const timeZone =
      input.timeZone === undefined
        ? undefined
        : await this.companies.zoneNamed(this.db.manager, input.timeZone);
    if (timeZone === null) {
      throw DomainError.validation([
        {
          field: 'timeZone',
          messages: [
            `timeZone ${input.timeZone} is not one the billing can use; try its current name, such as America/Los_Angeles`,
          ],
        },
      ]);
    }
    const changes: Partial<Company> = {
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(timeZone !== undefined ? { timeZone } : {}),
      ...(input.billingPeriod !== undefined ? { billingPeriod: input.billingPeriod } : {}),
      ...(input.billingEmail !== undefined
        ? { billingEmail: input.billingEmail === null ? null : input.billingEmail.trim() }
        : {}),
    };
    if (Object.keys(changes).length > 0) {
      await this.db.transaction(async (em) => {
        const before = await this.companies.lockForUpdate(em, id);
        await this.companies.update(em, id, changes);
        // Invoices and Stripe's payment emails use the Stripe customer's name and email
        // (billing owns the customer; the job does nothing before there is one). Only when
        // either changed: a settings form sends every field each time it is saved.
        const synced = (['name', 'billingEmail'] as const).some(
          (k) => k in changes && changes[k] !== before?.[k],
        );
        if (synced) await this.outbox.enqueue(em, 'billing.customer-sync', { companyId: id });
      });
    }
    return this.get(actor);
  }
}
