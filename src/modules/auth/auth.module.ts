import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Env } from '../../config/env.validation';
import { AgentsModule } from '../agents/agents.module';
import { JobsModule } from '../jobs/jobs.module';
import { CompaniesModule } from '../companies/companies.module';
import { EventsModule } from '../events/events.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenService } from './access-token.service';
import { AuthController } from './auth.controller';
import { SessionController } from './session.controller';
import { PasswordController } from './password.controller';
import { PasswordChange } from './password-change.service';
import { PasswordProof } from './password-proof.service';
import { Reauthentication } from './reauthentication.service';
import { AuthService } from './auth.service';
import { AuthenticationGuard } from './authentication.guard';
import { LoginDevices } from './login-devices.service';
import { LoginSlowdown } from './login-slowdown.service';
import { RateLimitGuard } from './rate-limit.guard';
import { JwtStrategy } from './jwt.strategy';
import { RefreshToken } from './refresh-token.entity';
import { OutboxModule } from '../outbox/outbox.module';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { RefreshTokensService } from './refresh-tokens.service';
import { RolesGuard } from './roles.guard';

@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) => ({
        secret: config.get('JWT_SECRET', { infer: true }),
        signOptions: { algorithm: 'HS256' },
      }),
    }),
    TypeOrmModule.forFeature([RefreshToken]),
    UsersModule,
    CompaniesModule,
    AgentsModule,
    // Logout ends the user's event streams, at once and by a job its transaction writes.
    EventsModule,
    OutboxModule,
    // The sign-in slowdown keeps its counters in Redis, on the queues' connection.
    JobsModule,
  ],
  controllers: [AuthController, SessionController, PasswordController],
  providers: [
    AuthService,
    AccessTokenService,
    RefreshTokensService,
    RefreshTokensRepository,
    JwtStrategy,
    LoginSlowdown,
    LoginDevices,
    PasswordChange,
    PasswordProof,
    Reauthentication,
    // Order matters: authenticate first, then check the role, then count the caller's calls.
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
})
export class AuthModule {}
