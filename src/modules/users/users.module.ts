import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CompaniesModule } from '../companies/companies.module';
import { StaffController } from './staff.controller';
import { MeController } from './me.controller';
import { PasswordHasher } from './password-hasher.service';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  // CompaniesService: /v1/me shows the admin's company.
  imports: [TypeOrmModule.forFeature([User]), CompaniesModule],
  controllers: [MeController, StaffController],
  providers: [UsersService, PasswordHasher, UsersRepository],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
